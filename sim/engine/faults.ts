/**
 * A scenario's faults as a timeline of transitions in virtual time: each fault starts at its `atMs` and,
 * for faults with a length, ends after it. The engine applies the transitions that fall within each
 * step, in time order, so a run is the same for the same scenario.
 */
import type { FaultSpec } from '../scenario/types.js'

export interface Transition {
  /** virtual ms since 1970 */
  at: number
  edge: 'start' | 'end'
  fault: FaultSpec
  /** index in the scenario's list, for stable ordering and labels */
  index: number
}

/** How long a fault lasts (0: an event at an instant). */
export function faultLength (f: FaultSpec): number {
  switch (f.kind) {
    case 'site-outage': case 'flapping': case 'latency': case 'upstream-outage': return f.forMs
    case 'gateway-restart': return f.downMs
    case 'power-cut': return f.offMs
    default: return 0
  }
}

export function faultLabel (f: FaultSpec): string {
  return 'site' in f ? `${f.kind} ${f.site}` : f.kind
}

export function timeline (faults: readonly FaultSpec[], startMs: number): Transition[] {
  const out: Transition[] = []
  faults.forEach((fault, index) => {
    out.push({ at: startMs + fault.atMs, edge: 'start', fault, index })
    const len = faultLength(fault)
    if (len > 0) out.push({ at: startMs + fault.atMs + len, edge: 'end', fault, index })
  })
  // Ends before starts at the same instant: a link restored and cut again in one step ends cut.
  return out.sort((a, b) => a.at - b.at || (a.edge === b.edge ? a.index - b.index : a.edge === 'end' ? -1 : 1))
}

/** Is the flapping link down at virtual time t? Down first, then up, in a cycle. */
export function flappingDown (f: Extract<FaultSpec, { kind: 'flapping' }>, startMs: number, t: number): boolean {
  const since = t - (startMs + f.atMs)
  if (since < 0 || since >= f.forMs) return false
  return since % (f.upMs + f.downMs) < f.downMs
}
