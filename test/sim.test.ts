/**
 * The quick run end to end, as the scenario engine plays it: an embedded gateway and upstream, a fleet of
 * real device runtimes punching steadily, a site outage, and a reconciliation that accounts for every
 * punch; a ring too small for the outage refuses (by default) or overwrites, and says how many.
 */
import t from 'tap'
import { quickRun, type QuickRunOptions } from '../sim/quick-scenario.js'
import { runScenario } from '../sim/engine/engine.js'
import { planPunches } from '../sim/workload/plan.js'
import { formatSummary } from '../sim/report/summary.js'

async function play (o: QuickRunOptions): Promise<Awaited<ReturnType<typeof runScenario>>['report']> {
  const { scenario, engine } = quickRun(o)
  return (await runScenario(scenario, engine)).report
}

t.test('the quick run is a scenario: N punches per device, an interval a step, the outage a site-outage fault', async t => {
  const { scenario: s, engine } = quickRun({ devices: 3, punchesPerDevice: 10, intervalMs: 50, outage: { atMs: 100, forMs: 200 }, ringCapacity: 100, drainTimeoutMs: 5000, seed: 1, startMs: 0 })
  t.equal(s.stepMs, 50, 'a step is one punch interval')
  t.same(engine, { settleMs: 50, drainMs: 5000 }, 'a step waits at most its own length; the drain timeout bounds the drain')
  t.same(s.faults, [{ kind: 'site-outage', atMs: 100, forMs: 200, site: 'site' }])
  const plan = planPunches(s)
  t.equal(plan.length, 30)
  for (const id of ['T-0001', 'T-0002', 'T-0003']) {
    const mine = plan.filter(p => p.device === id)
    t.equal(mine.length, 10, `${id}: ten punches`)
    t.equal(new Set(mine.map(p => p.emp)).size, 10, `${id}: a person each, so no duplicate read turns one away`)
    const gaps = mine.map((p, i) => p.at - (i === 0 ? s.startMs : mine[i - 1].at))
    t.ok(gaps.every(g => g >= 25 && g <= 75), `${id}: gaps within half and one and a half intervals (${gaps.join(' ')})`)
  }
  t.ok(s.durationMs > plan.at(-1)!.at - s.startMs, 'the run lasts past the last punch')
  t.equal(s.durationMs % s.stepMs, 0)
  const longOutage = quickRun({ devices: 1, punchesPerDevice: 2, intervalMs: 10, outage: { atMs: 0, forMs: 1000 }, ringCapacity: 10, drainTimeoutMs: 0, seed: 1, startMs: 0 }).scenario
  t.equal(longOutage.durationMs, 1000, 'and past the end of the outage')
  t.same(quickRun({ devices: 1, punchesPerDevice: 1, intervalMs: 10, outage: { atMs: 5, forMs: 0 }, ringCapacity: 10, drainTimeoutMs: 0, seed: 1 }).scenario.faults, [], 'an outage of 0 ms is none')
})

t.test('a small fleet through an outage: nothing lost, nothing doubled', async t => {
  const r = await play({ devices: 5, punchesPerDevice: 20, intervalMs: 40, outage: { atMs: 300, forMs: 600 }, ringCapacity: 100, drainTimeoutMs: 20_000, seed: 3 })
  t.comment(formatSummary(r))
  t.ok(r.ok, 'reconciliation is clean')
  t.match(r.fates, { generated: 100, delivered: 100, refused: 0, overwritten: 0, pending: 0, unexplained: 0, duplicatePunches: 0, unexpectedUpstream: 0 })
  t.ok(r.samples.some(x => x.faults.includes('site-outage site') && x.pendingOnDevices > 0), 'punches piled up on the devices while the link was down')
  t.match(formatSummary(r), /OK: every punch accounted for$/)
})

t.test('a ring too small for the outage refuses punches and counts them (default policy)', async t => {
  // Every punch falls inside the outage, so each device keeps exactly its capacity and refuses the rest.
  const r = await play({ devices: 2, punchesPerDevice: 30, intervalMs: 10, outage: { atMs: 0, forMs: 1200 }, ringCapacity: 10, drainTimeoutMs: 20_000, seed: 4 })
  t.match(r.fates, { generated: 60, refused: 40, delivered: 20, overwritten: 0, unexplained: 0, pending: 0 })
  t.ok(r.ok, 'refusals are explained: the run is clean')
})

t.test('overwrite-oldest: the ring keeps the newest and counts every punch it destroyed', async t => {
  const r = await play({ devices: 2, punchesPerDevice: 30, intervalMs: 10, outage: { atMs: 0, forMs: 1200 }, ringCapacity: 10, policy: 'overwrite-oldest', drainTimeoutMs: 20_000, seed: 4 })
  t.match(r.fates, { generated: 60, overwritten: 40, refused: 0, delivered: 20, unexplained: 0, pending: 0 })
  t.ok(r.ok)
})

t.test('a drain timeout too short for the backlog leaves punches pending, and the run is not clean', async t => {
  const r = await play({ devices: 2, punchesPerDevice: 10, intervalMs: 10, outage: { atMs: 0, forMs: 10_000 }, ringCapacity: 100, drainTimeoutMs: 0, seed: 2 })
  t.equal(r.fates.pending, 20, 'the link came back with no time left to upload')
  t.notOk(r.ok)
  t.match(formatSummary(r), /FAIL: expected still pending after the drain 0, got 20$/)
})
