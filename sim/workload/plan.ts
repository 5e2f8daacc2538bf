/**
 * The workload: every punch the people of a scenario make, when, where and on which device, decided
 * before the run so that a run is repeatable for its seed and the ledger knows what to expect.
 *
 * The model, and why:
 * - Arrivals and departures are normal around the shift's times (σ = the shift's spread, cut at 3σ):
 *   many small independent delays (traffic, a coffee, a chat at the door) add up to a bell curve, which is
 *   also what time-and-attendance data show around a fixed start. Breaks are called by a bell or a line
 *   stop, so people leave within half the spread; they come back the break's length after they left.
 * - A person's punches of one shift keep their order with at least 2 minutes between them: a spread that
 *   would put a break-out before the arrival would be noise of the model, not something that happens, and
 *   punches closer than the gateway's double window (60 s) would be flagged as doubles.
 * - A make-up: with the site's makeupRate a punch is forgotten and entered 1 to 4 hours later as a manual
 *   punch standing for the forgotten time, on the same device, with a reason.
 * - The window cuts: only punches made within [start, start + duration) are planned (a run that starts on
 *   Monday 00:00 sees Sunday's night shift leave; one that ends mid-shift sees people who never leave).
 * - Each person has their own random streams (times, make-ups, GPS), keyed by seed, site and person, so
 *   one site's or person's punches do not move when another site, person or rate is changed.
 */
import type { PlannedPunch, Scenario, SiteSpec } from '../scenario/types.js'
import { RandomStream } from './random.js'
import { sitePeople, type Person } from './people.js'
import { nominalPunches, shiftDays } from './shift-times.js'
import { GpsTrack } from './gps.js'
import { planSteady } from './steady.js'

const MIN_GAP_MS = 2 * 60_000
const MAKEUP_DELAY_MS = { min: 3_600_000, max: 4 * 3_600_000 }
const TRUNCATE_SIGMAS = 3

export const MAKEUP_REASONS = [
  'forgot to punch', 'badge left at home', 'reader did not respond', 'watch battery flat', 'came in through the loading bay'
] as const

const KIND_ORDER: Record<PlannedPunch['kind'], number> = { in: 0, 'break-out': 1, 'break-in': 2, out: 3 }

/** By time, then device, person and kind: a total order, so equal times do not depend on the sort's stability. */
export function comparePlanned (a: PlannedPunch, b: PlannedPunch): number {
  return a.at - b.at || (a.device < b.device ? -1 : a.device > b.device ? 1 : 0) ||
    (a.emp < b.emp ? -1 : a.emp > b.emp ? 1 : 0) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind]
}

export function planPunches (s: Scenario): PlannedPunch[] {
  const out: PlannedPunch[] = []
  for (const site of s.sites) for (const person of sitePeople(site)) planPerson(s, site, person, out)
  if (s.steady !== undefined) planSteady(s, s.steady, out)
  return out.sort(comparePlanned)
}

/** The plan split by device, each in time order (what one simulated device will be asked to take). */
export function plannedPerDevice (plan: readonly PlannedPunch[]): Map<string, PlannedPunch[]> {
  const by = new Map<string, PlannedPunch[]>()
  for (const p of plan) {
    let list = by.get(p.device)
    if (list === undefined) { list = []; by.set(p.device, list) }
    list.push(p)
  }
  return by
}

function planPerson (s: Scenario, site: SiteSpec, person: Person, out: PlannedPunch[]): void {
  const key = `${site.id}/${person.index}`
  const times = new RandomStream(s.seed, `${key}/times`)
  const makeups = new RandomStream(s.seed, `${key}/makeup`)
  const gps = person.watch && site.location !== undefined ? new GpsTrack(site.location, new RandomStream(s.seed, `${key}/gps`)) : undefined
  const from = s.startMs
  const to = s.startMs + s.durationMs
  const shift = person.shift
  for (const day of shiftDays(shift, site.tz, from, to)) {
    let last = -Infinity
    for (const n of nominalPunches(shift, day)) {
      const sigma = n.kind === 'in' || n.kind === 'out' ? shift.spreadMs : shift.spreadMs / 2
      const base = n.breakLengthMs !== undefined && Number.isFinite(last) ? last + n.breakLengthMs : n.at
      const at = Math.round(Math.max(base + sigma * times.truncatedNormal(TRUNCATE_SIGMAS), last + MIN_GAP_MS))
      last = at
      // Every draw is made whether or not it is used, so a rate or a device kind does not shift the others.
      const forgot = makeups.uniform() < site.makeupRate
      const delay = Math.round(makeups.between(MAKEUP_DELAY_MS.min, MAKEUP_DELAY_MS.max))
      const reason = makeups.pick(MAKEUP_REASONS)
      const loc = gps?.next()
      const punch: PlannedPunch = forgot
        ? { at: at + delay, device: person.device, emp: person.emp, kind: n.kind, method: 'manual', manual: { reason, forTs: at } }
        : { at, device: person.device, emp: person.emp, kind: n.kind, method: person.method }
      if (!forgot && loc !== undefined) punch.loc = loc
      if (punch.at >= from && punch.at < to) out.push(punch)
    }
  }
}
