/**
 * What the forwarder sends with a punch, make-ups included: an approved make-up names its person directly
 * (hr typed the employee, not a badge), so it never waits for a roster entry, and carries its approval in
 * `manual`; every other punch is described by the roster (gateway/roster-watch.ts).
 */
import type { PunchDescription } from '../forward/forwarder.js'
import type { MakeupStore } from '../store/makeup-store.js'
import type { StoredPunch } from '../store/punch-store.js'

export function describeWithMakeups (makeups: MakeupStore, roster: (p: StoredPunch) => PunchDescription): (p: StoredPunch) => PunchDescription {
  return (p) => {
    const found = makeups.upstreamManual(p)
    if (found === undefined) return roster(p)
    const { site, ...manual } = found
    return { employee: p.emp, site, manual }
  }
}
