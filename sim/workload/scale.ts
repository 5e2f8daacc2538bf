/**
 * A scenario made longer, shorter, bigger or smaller for one run (`--duration`, `--devices-scale`): a field
 * engineer runs the library's small scenarios at the size of the real site, a test runs them short.
 *
 * The copy changes only what was asked. Fault times stay where they are (a Friday-evening outage stays on
 * Friday evening), so a duration that ends before a fault is refused rather than quietly dropping the
 * fault the scenario is about. `expect.overwritten` is the one expectation that follows from the workload
 * exactly, so it is recomputed; the others are counts of fault events and do not scale.
 */
import type { Scenario } from '../scenario/types.js'
import { formatDuration } from '../scenario/duration.js'
import { selectDevices } from '../scenario/devices.js'
import { planPunches } from './plan.js'
import { expectedOverwritten } from './ring-loss.js'

export interface ScaleOptions {
  durationMs?: number
  /** device counts of every group times this (rounded, at least 1) */
  deviceFactor?: number
  /** staff of every site times this (rounded, at least 1 where there were people) */
  staffFactor?: number
}

export function scaleScenario (s: Scenario, o: ScaleOptions): Scenario {
  const out = structuredClone(s)
  const problems: string[] = []
  if (o.durationMs !== undefined) {
    if (!Number.isFinite(o.durationMs) || o.durationMs < 1000) throw new Error(`${s.name}: duration must be at least 1s`)
    out.durationMs = Math.round(o.durationMs)
    out.faults.forEach((f, i) => {
      if (f.atMs >= out.durationMs) problems.push(`faults[${i}] (${f.kind}) starts ${formatDuration(f.atMs)} after the start: a duration of ${formatDuration(out.durationMs)} ends before it; use more than ${formatDuration(f.atMs)}`)
    })
  }
  const factor = (name: string, f: number | undefined): number | undefined => {
    if (f !== undefined && (!Number.isFinite(f) || f <= 0)) throw new Error(`${s.name}: ${name} must be a number above 0 (got ${f})`)
    return f
  }
  const devices = factor('device factor', o.deviceFactor)
  const staff = factor('staff factor', o.staffFactor)
  for (const site of out.sites) {
    if (devices !== undefined) for (const g of site.devices) g.count = Math.max(1, Math.round(g.count * devices))
    if (staff !== undefined && site.staff > 0) site.staff = Math.max(1, Math.round(site.staff * staff))
    const watches = site.devices.filter(g => g.kind === 'watch').reduce((n, g) => n + g.count, 0)
    if (site.staff > watches && !site.devices.some(g => g.kind === 'terminal')) {
      problems.push(`site ${site.id}: ${site.staff} people but ${watches} watches and no terminal; scale staff and devices together`)
    }
  }
  out.faults.forEach((f, i) => {
    if (!('select' in f) || f.select.devices === undefined) return
    const left = new Set(selectDevices(out, { devices: f.select.devices }).map(d => d.id))
    const gone = f.select.devices.filter(id => !left.has(id))
    if (gone.length > 0) problems.push(`faults[${i}] (${f.kind}) names ${gone.join(', ')}, which no longer exist${gone.length === 1 ? 's' : ''} with fewer devices`)
  })
  if (problems.length > 0) throw new Error(`${s.name}: cannot scale:\n${problems.map(l => `  - ${l}`).join('\n')}`)
  if (out.expect.overwritten !== undefined) out.expect.overwritten = expectedOverwritten(out, planPunches(out))
  return out
}
