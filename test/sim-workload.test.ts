/**
 * The workload: the punches a scenario's people make are repeatable for a seed, follow the shifts, days
 * and breaks, spread like people do, make up forgotten punches at the rate asked, keep watch fixes on the
 * site, and give ring-too-small its exact expectation.
 */
import t from 'tap'
import { parseScenario } from '../sim/scenario/parse.js'
import { namedScenario } from '../sim/scenario/library.js'
import { weekdayOf } from '../sim/scenario/calendar.js'
import type { PlannedPunch, Scenario } from '../sim/scenario/types.js'
import { planPunches, plannedPerDevice, MAKEUP_REASONS } from '../sim/workload/plan.js'
import { badgeOf, shiftHeadcounts, sitePeople } from '../sim/workload/people.js'
import { expectedOverwritten, expectedRefused, outageLoads } from '../sim/workload/ring-loss.js'
import { distanceM } from '../gateway/rules/geo.js'

const H = 3_600_000
const MIN = 60_000
const DAY = 24 * H
const TZ = 480
const MONDAY_SG = Date.UTC(2026, 10, 23) - 8 * H

function scenario (sites: string, extra = '', seed = 1): Scenario {
  return parseScenario(`seed: ${seed}\nsites:\n${sites}\n${extra}`, 'test.yaml')
}

const DAY_SHIFT = `
  - id: hq
    tz: '+08:00'
    staff: 10
    devices: [{ kind: terminal, count: 2 }]
    shifts:
      - { start: '08:00', end: '17:00', breaks: [{ start: '10:00', length: 15m }, { start: '12:00', length: 45m }] }
`

function kinds (plan: PlannedPunch[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const p of plan) out[p.kind] = (out[p.kind] ?? 0) + 1
  return out
}

/** ms after site-local midnight */
function timeOfDay (ts: number): number {
  return ((ts + TZ * MIN) % DAY + DAY) % DAY
}

t.test('the plan is the same for a seed, another for another seed, and sorted by time', async t => {
  const a = planPunches(scenario(DAY_SHIFT))
  const b = planPunches(scenario(DAY_SHIFT))
  const c = planPunches(scenario(DAY_SHIFT, '', 2))
  t.same(a, b, 'same seed, same punches')
  t.equal(a.length, c.length, 'another seed: the same punches are made ...')
  t.not(JSON.stringify(a.map(p => p.at)), JSON.stringify(c.map(p => p.at)), '... at other times')
  t.ok(a.every((p, i) => i === 0 || a[i - 1].at <= p.at), 'sorted by time')
})

t.test("adding a site or a person does not move another site's punches", async t => {
  const other = `  - id: depot
    tz: '+08:00'
    staff: 7
    devices: [{ kind: terminal, count: 1 }]
    shifts: [{ start: '06:00', end: '14:00' }]`
  const alone = planPunches(scenario(DAY_SHIFT))
  const together = planPunches(scenario(DAY_SHIFT + other)).filter(p => p.device.startsWith('hq-'))
  t.same(together, alone)
  const more = planPunches(scenario(DAY_SHIFT.replace('staff: 10', 'staff: 11'))).filter(p => p.emp !== badgeOf('hq', 11))
  const sameDevice = (list: PlannedPunch[], emp: string): number[] => list.filter(p => p.emp === emp).map(p => p.at)
  t.same(sameDevice(more, badgeOf('hq', 3)), sameDevice(alone, badgeOf('hq', 3)), 'a person keeps their times when a colleague joins')
})

t.test('a day shift with two breaks: six punches a person a weekday, in order, on weekdays only', async t => {
  const plan = planPunches(scenario(DAY_SHIFT))
  t.same(kinds(plan), { in: 50, 'break-out': 100, 'break-in': 100, out: 50 }, '10 people × 5 days')
  t.ok(plan.every(p => !['sat', 'sun'].includes(weekdayOf(p.at, TZ))), 'nobody punches at the weekend')
  for (const [emp, list] of groupBy(plan, p => p.emp)) {
    const seq = list.map(p => p.kind).join(',')
    t.equal(seq, Array(5).fill('in,break-out,break-in,break-out,break-in,out').join(','), `${emp}: in, two breaks, out, each day`)
    const gaps = list.slice(1).map((p, i) => p.at - list[i].at)
    t.ok(gaps.every(g => g >= 2 * MIN), `${emp}: at least 2 minutes between punches`)
  }
})

t.test('days: a weekend shift is worked on Saturday and Sunday only', async t => {
  const plan = planPunches(scenario(DAY_SHIFT.replace("end: '17:00',", "end: '17:00', days: 'sat,sun',")))
  t.same([...new Set(plan.map(p => weekdayOf(p.at, TZ)))], ['sat', 'sun'])
  t.equal(plan.length, 10 * 2 * 6)
})

t.test('a night shift ends the next day, its break after midnight; the window cuts both ends', async t => {
  const night = `
  - id: hq
    tz: '+08:00'
    staff: 4
    devices: [{ kind: terminal, count: 1 }]
    shifts: [{ start: '22:00', end: '06:00', days: daily, spread: 2m, breaks: [{ start: '02:00', length: 30m }] }]
`
  const week = planPunches(scenario(night))
  const first = week.filter(p => p.emp === badgeOf('hq', 1))
  // Sunday night's shift (begun before the start) leaves on Monday morning; the last night's has not ended.
  t.same(first.slice(0, 4).map(p => p.kind), ['break-out', 'break-in', 'out', 'in'])
  t.same(first.slice(-2).map(p => p.kind), ['out', 'in'], "the last night's shift is cut at the end of the week: it arrives and no more")
  t.equal(weekdayOf(first[first.length - 1].at, TZ), 'sun')
  t.equal(weekdayOf(first[2].at, TZ), 'mon')
  const ins = week.filter(p => p.kind === 'in')
  const outs = week.filter(p => p.kind === 'out')
  t.ok(ins.every(p => Math.abs(timeOfDay(p.at) - 22 * H) <= 6 * MIN), 'arrivals around 22:00')
  t.ok(outs.every(p => Math.abs(timeOfDay(p.at) - 6 * H) <= 6 * MIN), 'departures around 06:00 the next day')
  t.ok(week.filter(p => p.kind === 'break-out').every(p => Math.abs(timeOfDay(p.at) - 2 * H) <= 3 * MIN), 'breaks around 02:00')
  t.same(kinds(week), { in: 4 * 7, 'break-out': 4 * 7, 'break-in': 4 * 7, out: 4 * 7 }, '7 nights in a 7-day window, cut at both ends')
  const day = planPunches(scenario(night, 'duration: 1d'))
  t.same(kinds(day), { 'break-out': 4, 'break-in': 4, out: 4, in: 4 }, "one day: last night's end and tonight's arrival")
})

t.test('arrivals spread normally around the shift start, within 3 standard deviations', async t => {
  const plan = planPunches(scenario(DAY_SHIFT.replace('staff: 10', 'staff: 400')))
  const dev = plan.filter(p => p.kind === 'in').map(p => timeOfDay(p.at) - 8 * H)
  const mean = dev.reduce((a, b) => a + b, 0) / dev.length
  const sd = Math.sqrt(dev.reduce((a, b) => a + (b - mean) ** 2, 0) / dev.length)
  t.equal(dev.length, 2000)
  t.ok(Math.abs(mean) < MIN, `mean arrival within a minute of 08:00 (${(mean / 1000).toFixed(0)} s)`)
  // A normal cut at 3σ has a standard deviation of 0.986σ.
  t.ok(sd > 4.5 * MIN && sd < 5.5 * MIN, `standard deviation near the 5-minute spread (${(sd / MIN).toFixed(2)} min)`)
  t.ok(Math.max(...dev.map(Math.abs)) <= 15 * MIN, 'nobody more than 15 minutes off')
  t.ok(dev.filter(d => Math.abs(d) > 5 * MIN).length > 150, 'about a third outside one σ: a bell, not a narrow spike')
  const lunch = plan.filter(p => p.kind === 'break-out' && timeOfDay(p.at) > 11 * H).map(p => timeOfDay(p.at) - 12 * H)
  t.ok(Math.max(...lunch.map(Math.abs)) <= 7.5 * MIN, 'breaks are called: within half the spread')
})

t.test('make-ups: skipped punches come back as manual punches 1-4 h later, at the rate', async t => {
  const base = DAY_SHIFT.replace('staff: 10', 'staff: 200')
  const plain = planPunches(scenario(base))
  const plan = planPunches(scenario(base.replace("tz: '+08:00'", "tz: '+08:00'\n    makeupRate: 0.1")))
  t.equal(plain.filter(p => p.method === 'manual').length, 0, 'rate 0: none')
  const manual = plan.filter(p => p.method === 'manual')
  const share = manual.length / plan.length
  t.ok(share > 0.085 && share < 0.115, `about 10 % are make-ups (${(share * 100).toFixed(1)} %)`)
  t.equal(plan.length, plain.length, 'a make-up replaces the punch, it does not add one')
  for (const p of manual) {
    const lag = p.at - (p.manual?.forTs ?? NaN)
    if (!(lag >= H && lag <= 4 * H) || !MAKEUP_REASONS.includes(p.manual?.reason as typeof MAKEUP_REASONS[number]) || p.loc !== undefined) {
      t.fail(`bad make-up ${JSON.stringify(p)}`)
    }
  }
  const made = new Set(manual.map(p => `${p.emp}@${p.manual?.forTs ?? 0}`))
  const kept = plan.filter(p => p.method !== 'manual')
  t.same(kept, plain.filter(p => !made.has(`${p.emp}@${p.at}`)), 'the punches not forgotten are the same as with no make-ups')
  t.same(kinds(plan), kinds(plain), 'each forgotten punch is made up as the same kind')
})

t.test('watches: one per person while they last, fixes inside the site, the rest on terminals', async t => {
  const s = scenario(`
  - id: field
    tz: '+08:00'
    location: { lat: 1.3, lon: 103.8, radiusM: 150 }
    staff: 9
    devices: [{ kind: watch, count: 6 }, { kind: terminal, count: 2 }]
    shifts: [{ start: '07:00', end: '16:00', days: daily, breaks: [{ start: '12:00', length: 30m }] }]
`)
  const people = sitePeople(s.sites[0])
  t.same(people.map(p => p.device), ['field-W0001', 'field-W0002', 'field-W0003', 'field-W0004', 'field-W0005', 'field-W0006', 'field-T0001', 'field-T0002', 'field-T0001'])
  const plan = planPunches(s)
  const onWatch = plan.filter(p => p.device.startsWith('field-W'))
  t.equal(onWatch.length, 6 * 7 * 4)
  t.ok(onWatch.every(p => p.method === 'gps' && p.loc !== undefined), 'every watch punch is a located gps punch')
  t.ok(plan.filter(p => p.device.startsWith('field-T')).every(p => p.loc === undefined && p.method === 'card'), 'terminal punches carry no location')
  const far = Math.max(...onWatch.map(p => distanceM(p.loc?.lat ?? 0, p.loc?.lon ?? 0, 1.3, 103.8)))
  t.ok(far <= 150, `every fix inside the 150 m radius (farthest ${far.toFixed(1)} m)`)
  t.ok(far > 20, 'fixes are spread over the site, not all at its centre')
  t.ok(onWatch.every(p => (p.loc?.acc ?? 0) >= 5 && (p.loc?.acc ?? 0) <= 30), 'accuracy 5-30 m')
  const track = onWatch.filter(p => p.emp === badgeOf('field', 1)).map(p => p.loc)
  t.equal(new Set(track.map(l => `${l?.lat},${l?.lon}`)).size, track.length, 'a wearer moves between punches')
})

t.test('badges are per site and never collide, shift headcounts add up', async t => {
  t.equal(badgeOf('hq', 12), 'Ehq-0012')
  t.not(badgeOf('hq1', 2), badgeOf('hq', 12))
  t.same(shiftHeadcounts(10, [{ staffShare: 1 / 3 }, { staffShare: 1 / 3 }, { staffShare: 1 / 3 }] as never), [4, 3, 3])
  t.same(shiftHeadcounts(7, [{ staffShare: 0.5 }, { staffShare: 0.5 }] as never), [4, 3])
  t.same(shiftHeadcounts(100, [{ staffShare: 0.33 }, { staffShare: 0.33 }, { staffShare: 0.33 }] as never), [34, 33, 33], 'shares that almost add up still place everyone')
})

t.test('plannedPerDevice splits the plan by device, in order', async t => {
  const plan = planPunches(scenario(DAY_SHIFT))
  const by = plannedPerDevice(plan)
  t.same([...by.keys()].sort(), ['hq-T0001', 'hq-T0002'])
  t.equal([...by.values()].reduce((n, l) => n + l.length, 0), plan.length)
  t.ok([...by.values()].every(l => l.every((p, i) => i === 0 || l[i - 1].at <= p.at)))
})

t.test('ring loss: a device that takes n punches offline loses n - C of them', async t => {
  const site = (staff: number): Scenario => scenario(`
  - id: hq
    tz: '+08:00'
    staff: ${staff}
    devices:
      - { kind: terminal, count: 1, prefix: A-, ring: { capacity: 7, policy: overwrite-oldest } }
      - { kind: terminal, count: 1, prefix: B-, ring: { capacity: 7 } }
    shifts: [{ start: '08:00', end: '17:00' }]
`, "faults: [{ kind: site-outage, at: 'mon 06:00', for: 4h }, { kind: site-outage, at: 'tue 06:00', for: 4h }]")
  // Half the staff per terminal arrive between 06:00 and 10:00 on each day; the departures are after it.
  const fits = site(10)
  t.same(outageLoads(fits, planPunches(fits)).map(l => [l.device, l.fault, l.taken, l.lost]),
    [['A-0001', 0, 5, 0], ['B-0001', 0, 5, 0], ['A-0001', 1, 5, 0], ['B-0001', 1, 5, 0]], 'under the 7 slots: nothing lost')
  const full = site(30)
  const plan = planPunches(full)
  t.same(outageLoads(full, plan).map(l => l.lost), [8, 8, 8, 8], '15 arrivals per terminal and outage, 7 kept')
  t.equal(expectedOverwritten(full, plan), 16, 'overwrite-oldest: counted as overwritten')
  t.equal(expectedRefused(full, plan), 16, 'refuse: counted as refused')
})

t.test("ring-too-small states exactly what the workload loses, and keeps punches away from the outage's edges", async t => {
  const s = namedScenario('ring-too-small')
  const plan = planPunches(s)
  t.equal(s.expect.overwritten, expectedOverwritten(s, plan), 'the file agrees with the helper')
  t.ok((s.expect.overwritten ?? 0) > 0, 'it is meant to lose')
  const outage = s.faults.find(f => f.kind === 'site-outage')
  if (outage === undefined || outage.kind !== 'site-outage') throw new Error('ring-too-small has no site outage')
  const edges = [s.startMs + outage.atMs, s.startMs + outage.atMs + outage.forMs]
  const near = plan.filter(p => edges.some(e => Math.abs(p.at - e) < H))
  t.same(near, [], 'no punch within an hour of either edge: the engine\'s step and reconnect time cannot change the count')
  t.ok(s.faults.every(f => f.kind === 'site-outage'), 'no other fault keeps devices offline')
})

function groupBy<T> (items: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>()
  for (const x of items) { const k = key(x); const l = m.get(k) ?? []; l.push(x); m.set(k, l) }
  return m
}

t.test('start: the plan begins at the scenario start, a Monday in the first site\'s tz', async t => {
  const s = scenario(DAY_SHIFT)
  t.equal(s.startMs, MONDAY_SG)
  const plan = planPunches(s)
  t.ok(plan[0].at >= s.startMs && plan[plan.length - 1].at < s.startMs + s.durationMs)
  t.equal(weekdayOf(plan[0].at, TZ), 'mon')
})
