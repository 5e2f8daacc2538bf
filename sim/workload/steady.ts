/**
 * A steady load: every device punches a fixed number of times, one person after another, the gaps drawn
 * around a mean interval. It is what the quick run and the demo play (sim/quick-scenario.ts): a queue
 * at each terminal rather than a site's shifts, so that a run of a few seconds puts a known number of
 * punches through an outage.
 *
 * Each punch is a different person: the device's duplicate-read check (device/runtime.ts) and the
 * gateway's double rule would otherwise turn a badge seen twice within their windows into a duplicate
 * read or a flag, and a steady load's count would no longer be what was asked for.
 */
import type { PlannedPunch, Scenario, SteadyWorkload } from '../scenario/types.js'
import { scenarioDevices } from '../scenario/devices.js'
import { RandomStream } from './random.js'

/** Each gap is the interval times a factor drawn uniformly from [GAP_MIN, GAP_MIN + 1). */
const GAP_MIN = 0.5

/** The badge of the k-th person (from 1) at a device: unique across the scenario, as device ids are. */
export function steadyBadge (device: string, k: number): string {
  return `E-${device}-${k}`
}

/** The steady punches of every device, within the scenario's window, appended to `out` (unsorted). */
export function planSteady (s: Scenario, w: SteadyWorkload, out: PlannedPunch[]): void {
  const to = s.startMs + s.durationMs
  for (const { id, group } of scenarioDevices(s)) {
    // A stream per device, as planPerson keeps one per person: adding a device moves no other's punches.
    const gaps = new RandomStream(s.seed, `${id}/steady`)
    let at = s.startMs
    for (let k = 1; k <= w.punchesPerDevice; k++) {
      at += w.intervalMs * (GAP_MIN + gaps.uniform())
      const when = Math.round(at)
      if (when >= to) break
      out.push({ at: when, device: id, emp: steadyBadge(id, k), kind: k % 2 === 1 ? 'in' : 'out', method: group.method })
    }
  }
}
