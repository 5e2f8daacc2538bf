/**
 * The engine's own promises: a run is repeatable for its seed, and what the scenario means to lose is lost
 * exactly. The reconciliation that fails a run when a punch goes missing: test/sim-fate-reconcile.test.ts.
 */
import t from 'tap'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { namedScenario } from '../sim/scenario/library.js'
import { runScenario } from '../sim/engine/engine.js'
import { timeline, flappingDown } from '../sim/engine/faults.js'
import { VirtualClock } from '../sim/engine/virtual-clock.js'
import { expectedOverwritten } from '../sim/workload/ring-loss.js'
import { planPunches } from '../sim/workload/plan.js'
import { quickRun } from '../sim/quick-scenario.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setImmediate as yieldTurn, setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { World } from '../sim/engine/world.js'
import { FleetDevice } from '../sim/engine/fleet-device.js'
import { FateLedger } from '../sim/engine/fate-ledger.js'
import { seededRandom } from '../sim/workload/seeded-random.js'
import { scenarioDevices } from '../sim/scenario/devices.js'

t.test('the same seed gives the same run; another seed another', async t => {
  const s = namedScenario('gateway-restart')
  const a = (await runScenario(s, { settleMs: 1000 })).report
  const b = (await runScenario(s, { settleMs: 1000 })).report
  t.same(b.fates, a.fates, 'fates')
  t.same(b.flags, a.flags, 'flags')
  t.same(b.lateness, a.lateness, 'lateness (virtual time)')
  const generatedOverTime = (r: typeof a): number[] => r.samples.map(x => x.generated)
  t.same(generatedOverTime(b), generatedOverTime(a), 'punch by punch, step by step')
  const c = (await runScenario({ ...s, seed: s.seed + 1 }, { settleMs: 1000 })).report
  t.notSame(generatedOverTime(c), generatedOverTime(a), 'another seed: people punch at other moments')
})

t.test('the gateway\'s backlog never reads empty while a punch it acknowledged has not reached the upstream', async t => {
  // The engine moves virtual time on when this says "nothing to deliver". The gateway's commit thread forms
  // batches on a connection of its own, so a read made of several statements could see the punch neither
  // past the cursor (the batch had moved it) nor in a batch (not there yet), and the clock moved on before
  // the punch was delivered: a punch a step later, now and then, on a loaded machine.
  const s = quickRun({ devices: 1, punchesPerDevice: 1, intervalMs: 1000, ringCapacity: 1000, drainTimeoutMs: 1000, seed: 3, startMs: Date.UTC(2026, 10, 23) }).scenario
  const dir = mkdtempSync(join(tmpdir(), 'punchline-backlog-'))
  const log = pino({ level: 'silent' })
  const clock = new VirtualClock(s.startMs)
  const { id, site, group } = scenarioDevices(s)[0]
  const world = new World({ scenario: s, dir, now: clock.now, log, prefixes: new Map([[site.id, [group.prefix]]]) })
  await world.start()
  const ledger = new FateLedger()
  const device = new FleetDevice({ id, site: site.id, group, tz: site.tz, url: world.deviceLink(site.id).url, virtualNow: clock.now, ledger, log, random: seededRandom(1) })
  t.teardown(async () => { await device.stop(); await world.close(); rmSync(dir, { recursive: true, force: true }) })
  device.start()
  const online = Date.now() + 60_000
  while (!device.uplink.connected && Date.now() < online) await sleep(10)
  t.ok(device.uplink.connected, 'the device is online')
  // Before the fix (two separate reads) this counted 1 to 4 in 60 punches at load 20-40 on 2 cores.
  const ROUNDS = 60
  let early = 0
  for (let i = 0; i < ROUNDS; i++) {
    clock.advanceTo(s.startMs + (i + 1) * 60_000)
    const pid = device.punch({ at: clock.now(), device: id, emp: `E${i}`, kind: 'in', method: 'card' })
    if (pid === undefined) { t.fail(`the device refused punch ${i}`); break }
    // Read the backlog over and over while the gateway stores, batches and delivers the punch, as the
    // engine's settle does, yielding between reads so the gateway's own work goes on.
    const deadline = Date.now() + 60_000
    while (!world.sink.received.has(pid) && Date.now() < deadline) {
      const until = performance.now() + 2
      while (performance.now() < until) {
        if (device.pending === 0 && !world.gatewayBacklog() && !world.sink.received.has(pid)) early++
      }
      await yieldTurn()
    }
    t.ok(world.sink.received.has(pid), `punch ${i} delivered`)
  }
  t.equal(early, 0, 'never "nothing to deliver" while an acknowledged punch was on its way')
})

t.test('ring too small with overwrite-oldest: exactly the punches the workload says', async t => {
  const s = namedScenario('ring-too-small')
  const expected = expectedOverwritten(s, planPunches(s))
  t.ok(expected > 0)
  const { report } = await runScenario(s, { settleMs: 1000 })
  t.equal(report.fates.overwritten, expected)
  t.equal(report.fates.delivered + report.fates.overwritten + report.fates.refused, report.fates.generated)
})

t.test('the upstream sink tells a batch re-sent under its key from a new batch', async t => {
  const sink = new WebhookUpstream()
  const url = await sink.start()
  t.teardown(() => sink.close())
  const post = async (key: string, ids: string[]): Promise<number> => (await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
    body: JSON.stringify({ punches: ids.map(id => ({ id })) })
  })).status
  t.equal(await post('k1', ['a', 'b']), 200)
  t.equal(await post('k1', ['a', 'b']), 200, 'the answer was lost: the same batch again')
  t.equal(await post('k2', ['b']), 200, 'a new batch')
  t.same(Object.fromEntries(sink.received), { a: 2, b: 3 })
  t.same(Object.fromEntries(sink.retried), { a: 1, b: 1 })
})

t.test('fault timeline: ends before starts at one instant, flapping cycles, the clock only goes forward', async t => {
  const tl = timeline([
    { kind: 'site-outage', atMs: 100, forMs: 50, site: 'a' },
    { kind: 'site-outage', atMs: 150, forMs: 10, site: 'a' }
  ], 0)
  t.same(tl.map(x => [x.at, x.edge, x.index]), [[100, 'start', 0], [150, 'end', 0], [150, 'start', 1], [160, 'end', 1]])
  const f = { kind: 'flapping' as const, atMs: 0, forMs: 1000, site: 'a', upMs: 90, downMs: 10 }
  t.same([0, 5, 10, 99, 100, 105, 1000].map(x => flappingDown(f, 0, x)), [true, true, false, false, true, true, false])
  const c = new VirtualClock(1000)
  c.advanceTo(5000)
  t.equal(c.elapsed, 4000)
  t.throws(() => c.advanceTo(10), /cannot go back/)
})

t.test('a scenario whose length is not a whole number of steps: the punches of the last part step are made too', async t => {
  const base = quickRun({ devices: 1, punchesPerDevice: 40, intervalMs: 100, ringCapacity: 100, drainTimeoutMs: 20_000, seed: 5, startMs: Date.UTC(2026, 10, 23) }).scenario
  // Steps of 1 s over 3.5 s: steps at 0, 1, 2 and 3 s, and the plan runs on to 3.5 s.
  const s = { ...base, stepMs: 1000, durationMs: 3500 }
  const plan = planPunches(s)
  t.ok(plan.some(p => p.at > s.startMs + 3000), 'the plan has punches after the last whole step')
  const { report } = await runScenario(s, { settleMs: 1000 })
  t.equal(report.fates.generated, plan.length, 'every planned punch was offered to its device')
  t.equal(report.fates.delivered, plan.length)
  t.ok(report.ok)
})
