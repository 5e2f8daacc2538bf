/**
 * What a site outage costs a ring that is too small, worked out from the plan alone so a scenario can
 * state it exactly (`expect.overwritten`) and the engine's count can be checked against it.
 *
 * The model: during a site outage a device cannot upload; everything it took before the outage was acked
 * (p = 0), so it starts the outage with an empty ring of C free slots. Taking n punches then loses
 * max(0, n - C): destroyed with `overwrite-oldest`, refused with `refuse`. Outages are counted one by one,
 * each starting from an acked ring. Only site outages are modelled; a scenario that uses this number must
 * keep punches away from the outage's edges (the engine's step and upload time would blur them) and have
 * no other fault that keeps its devices offline.
 */
import type { PlannedPunch, Scenario } from '../scenario/types.js'
import { siteDevices } from '../scenario/devices.js'
import { plannedPerDevice } from './plan.js'

export interface OutageLoad {
  device: string
  /** index of the site-outage fault in `s.faults` */
  fault: number
  capacity: number
  policy: 'refuse' | 'overwrite-oldest'
  /** punches the device takes during the outage */
  taken: number
  lost: number
}

/** Per device and site outage: how many punches it takes offline and how many of them its ring cannot keep. */
export function outageLoads (s: Scenario, plan: readonly PlannedPunch[]): OutageLoad[] {
  const perDevice = plannedPerDevice(plan)
  const out: OutageLoad[] = []
  s.faults.forEach((f, fault) => {
    if (f.kind !== 'site-outage') return
    const site = s.sites.find(x => x.id === f.site)
    if (site === undefined) return
    const from = s.startMs + f.atMs
    const to = from + f.forMs
    for (const d of siteDevices(site)) {
      const taken = (perDevice.get(d.id) ?? []).filter(p => p.at >= from && p.at < to).length
      const { capacity, policy } = d.group.ring
      out.push({ device: d.id, fault, capacity, policy, taken, lost: Math.max(0, taken - capacity) })
    }
  })
  return out
}

export function expectedOverwritten (s: Scenario, plan: readonly PlannedPunch[]): number {
  return outageLoads(s, plan).filter(l => l.policy === 'overwrite-oldest').reduce((n, l) => n + l.lost, 0)
}

export function expectedRefused (s: Scenario, plan: readonly PlannedPunch[]): number {
  return outageLoads(s, plan).filter(l => l.policy === 'refuse').reduce((n, l) => n + l.lost, 0)
}
