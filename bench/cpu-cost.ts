/**
 * What a process spent during a measured load, as medians over runs: its share of one core and its CPU per
 * punch. Pure, so the render files compute it from figures read back from docs/bench/.
 */
import type { LoadRun } from './load-run.js'
import { fixed, median } from './stats.js'

export interface CpuCost { share: number, usPerPunch: number }

export function cpuCost (runs: LoadRun[], side: 'serverCpuSeconds' | 'clientCpuSeconds'): CpuCost {
  return {
    share: median(runs.map(r => r[side] / r.seconds)),
    usPerPunch: median(runs.map(r => r[side] * 1e6 / r.punches))
  }
}

/** A table row's cells: "43 % of a core | 2.1 µs" */
export function costCells (c: CpuCost): string {
  return `${Math.round(100 * c.share)} % of a core | ${fixed(c.usPerPunch, 1)} µs`
}

/** "43 % of a core, 2.1 µs of CPU per punch" */
export function costText (c: CpuCost): string {
  return `${Math.round(100 * c.share)} % of a core, ${fixed(c.usPerPunch, 1)} µs of CPU per punch`
}
