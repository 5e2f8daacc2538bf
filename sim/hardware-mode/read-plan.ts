/**
 * What the player will present: one scenario device's planned punches, in plan order, as reads at a fake
 * reader. Make-ups are left out (they are typed in with a reason, not read from a card or a finger), and
 * so are the scenario's faults: in this mode the faults are the line's (--line-faults, --unplug-every).
 *
 * With a GPS beside the reader each read gets a position: the planned fix when the plan has one (a
 * watch's punch), otherwise the person's own track at the site (sim/workload/gps.ts), from a random
 * stream of its own so that asking for a GPS moves nobody's punches.
 */
import type { Location } from '../../shared/punch.js'
import type { PlannedPunch, Scenario } from '../scenario/types.js'
import { scenarioDevices, type ScenarioDevice } from '../scenario/devices.js'
import { planPunches, plannedPerDevice } from '../workload/plan.js'
import { GpsTrack } from '../workload/gps.js'
import { RandomStream } from '../workload/random.js'

export interface HardwareRead {
  /** 1-based, in plan order */
  n: number
  /** the scenario's person (badge) */
  person: string
  kind: PlannedPunch['kind']
  /** the fix the GPS sends just before the read (with --hardware ...,gps) */
  loc?: Location
}

export interface ReadPlan {
  device: ScenarioDevice
  reads: HardwareRead[]
  /** every person in `reads`, in order of first read */
  people: string[]
  /** planned reads of the device before --reads cut them */
  available: number
  makeupsLeftOut: number
}

function listIds (ids: string[]): string {
  return ids.length <= 8 ? ids.join(', ') : `${ids.slice(0, 8).join(', ')} and ${ids.length - 8} more`
}

export function planHardwareReads (s: Scenario, o: { device?: string, reads?: number, gps: boolean }): ReadPlan {
  const perDevice = plannedPerDevice(planPunches(s))
  const devices = scenarioDevices(s)
  const readsOf = (id: string): PlannedPunch[] => (perDevice.get(id) ?? []).filter(p => p.manual === undefined)
  let device: ScenarioDevice | undefined
  if (o.device !== undefined) {
    device = devices.find(d => d.id === o.device)
    if (device === undefined) throw new Error(`--device: no device '${o.device}' in scenario ${s.name} (devices: ${listIds(devices.map(d => d.id))})`)
  } else {
    device = devices.find(d => readsOf(d.id).length > 0)
    if (device === undefined) throw new Error(`scenario ${s.name}: no device has a planned read (no staff, or a duration shorter than any shift)`)
  }
  const planned = readsOf(device.id)
  const busiest = devices.map(d => ({ id: d.id, n: readsOf(d.id).length })).sort((a, b) => b.n - a.n)[0]
  if (planned.length === 0) {
    throw new Error(`--device: ${device.id} has no planned reads in scenario ${s.name} (${busiest.id} has ${busiest.n})`)
  }
  if (o.reads !== undefined && o.reads > planned.length) {
    throw new Error(`--reads ${o.reads}: ${device.id} has ${planned.length} planned reads in scenario ${s.name}` +
      (busiest.n > planned.length ? ` (${busiest.id} has ${busiest.n}: --device ${busiest.id})` : ''))
  }
  const site = device.site
  if (o.gps && site.location === undefined && planned.some(p => p.loc === undefined)) {
    throw new Error(`--hardware gps: site '${site.id}' of ${device.id} has no location to place people in; give it one (sites[].location in the scenario) or leave gps out`)
  }
  const tracks = new Map<string, GpsTrack>()
  const trackOf = (person: string): GpsTrack => {
    let t = tracks.get(person)
    if (t === undefined) {
      t = new GpsTrack(site.location!, new RandomStream(s.seed, `${site.id}/${person}/hardware-gps`))
      tracks.set(person, t)
    }
    return t
  }
  const chosen = planned.slice(0, o.reads ?? planned.length)
  const reads = chosen.map((p, i): HardwareRead => {
    const r: HardwareRead = { n: i + 1, person: p.emp, kind: p.kind }
    if (o.gps) r.loc = p.loc ?? trackOf(p.emp).next()
    return r
  })
  return {
    device,
    reads,
    people: [...new Set(reads.map(r => r.person))],
    available: planned.length,
    makeupsLeftOut: (perDevice.get(device.id) ?? []).length - planned.length
  }
}
