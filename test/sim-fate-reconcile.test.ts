/**
 * The one fate ledger (sim/engine/fate-ledger.ts) and the one reconciliation (sim/engine/fate-reconcile.ts)
 * that the scenario engine and the fault suite both grade with, on hand-made ledgers, holdings and
 * upstream views: every fate a punch can end in, every kind of copy upstream, the content check, and the
 * engine's checks on top (the fault suite's rule on top is test/faults-judge.test.ts).
 */
import t from 'tap'
import { FateLedger, MAX_SEQ_LEAP } from '../sim/engine/fate-ledger.js'
import { LATENESS_BUCKETS, NOWHERE, UNEXPLAINED_IDS_KEPT, ackedAsDelivered, copiesUpstream, noFates, reconcileFates, type UpstreamView } from '../sim/engine/fate-reconcile.js'
import { buildChecks } from '../sim/engine/checks.js'
import { namedScenario } from '../sim/scenario/library.js'

const id = (seq: number, device = 'D'): string => `${device}:00000001:${seq}`
const counts = (entries: Record<string, number>): Map<string, number> => new Map(Object.entries(entries))

/** A ledger that took seqs 1..n of device D at virtual time 0, then settled as `fates` says (seq → fate). */
function ledgerOf (n: number, fates: Record<number, 'acked' | 'rejected' | 'overwritten'> = {}): FateLedger {
  const led = new FateLedger()
  for (let seq = 1; seq <= n; seq++) led.taken(id(seq), 0)
  for (const [seq, fate] of Object.entries(fates)) led.settle(id(Number(seq)), fate)
  led.attempted = n
  return led
}

t.test('the ledger: a fate is settled once, ids are told apart from what only looks like one', async t => {
  const led = new FateLedger()
  led.taken(id(1), 10)
  led.taken(id(2), 20)
  led.taken(id(4), 40)
  t.equal(led.size, 3, 'seq 3 was never taken (a torn append): no entry')
  led.settle(id(1), 'acked')
  led.settle(id(1), 'rejected')
  led.settle(id(2), 'overwritten')
  led.settle(id(2), 'acked')
  led.settle(id(3), 'acked')
  led.settle('elsewhere:00000001:1', 'acked')
  t.same([led.fate(id(1)), led.fate(id(2)), led.fate(id(3)), led.fate(id(4))], ['acked', 'overwritten', undefined, 'pending'], 'the first news wins')
  t.same([led.acked, led.overwritten], [1, 1], 'the running counts count each punch once')
  t.same([led.count('pending'), led.count('acked'), led.count('rejected')], [1, 1, 0])
  for (const lookalike of [id(0), 'D:00000001:01', 'D:00000001:+2', 'D:00000001:2.0', 'D:00000001:', 'D', '', id(99)]) {
    t.notOk(led.has(lookalike), `${JSON.stringify(lookalike)} is not in the ledger`)
  }
  for (const bad of ['D', 'D:00000001:0', 'D:00000001:x', ':1', 'D:00000001:07']) {
    t.throws(() => led.taken(bad, 0), /is not a punch id/, `taken(${JSON.stringify(bad)}) says what is wrong`)
  }
  t.throws(() => led.taken(id(4 + MAX_SEQ_LEAP + 1), 0), /leaps more than/, 'a seq far beyond the epoch\'s highest is a wrong id')
  led.taken(id(4 + MAX_SEQ_LEAP), 0)
  t.equal(led.size, 4, 'up to the bound it is taken')
})

t.test('the ledger walks device epoch by device epoch, in the order they first punched, each by seq', async t => {
  const led = new FateLedger()
  led.taken('B:0000000b:2', 0, 'E2')
  led.taken('A:0000000a:1', 0)
  led.taken('B:0000000b:1', 0, 'E1')
  led.taken('B:0000000c:1', 0)
  for (let seq = 2; seq <= 40; seq++) led.taken(`A:0000000a:${seq}`, seq)
  const seen: Array<[string, string | undefined]> = []
  led.visit((pid, fate, takenAt, emp) => { if (pid.startsWith('B')) seen.push([pid, emp]) })
  t.same(seen, [['B:0000000b:1', 'E1'], ['B:0000000b:2', 'E2'], ['B:0000000c:1', undefined]], 'the emp where one was given')
  const ids = [...led.ids()]
  t.equal(ids.length, 43)
  t.same(ids.slice(0, 3), ['B:0000000b:1', 'B:0000000b:2', 'A:0000000a:1'])
  t.equal(ids[42], 'B:0000000c:1', 'a new epoch of a device is a device epoch of its own')
  led.settle('A:0000000a:40', 'acked')
  t.same([...led.ids('acked')], ['A:0000000a:40'])
  let takenAt = -1
  led.visit((pid, fate, at) => { if (pid === 'A:0000000a:40') takenAt = at })
  t.equal(takenAt, 40, 'the time taken survives the arrays growing')
})

t.test('every fate: delivered first, else overwritten, rejected, dead-lettered, pending, or unexplained', async t => {
  // 1 delivered, 2 overwritten then delivered anyway, 3 overwritten, 4 rejected, 5 dead-lettered,
  // 6 pending at the gateway, 7 pending on its device, 8 acked and nowhere, 9 taken and nowhere.
  const led = ledgerOf(9, { 1: 'acked', 2: 'overwritten', 3: 'overwritten', 4: 'rejected', 5: 'acked', 6: 'acked', 8: 'acked' })
  led.refused = 2
  led.torn = 1
  led.duplicateReads = 3
  led.attempted = 15
  const up: UpstreamView = { counts: counts({ [id(1)]: 1, [id(2)]: 1 }) }
  const holds = { atGateway: new Set([id(6), id(4)]), deadLettered: new Set([id(5), id(3)]), onDevices: new Set([id(7)]) }
  const r = reconcileFates(led, up, holds)
  t.same(r.fates, {
    ...noFates(),
    generated: 15,
    delivered: 2,
    refused: 3,
    duplicateReads: 3,
    overwritten: 1,
    rejected: 1,
    deadLettered: 1,
    pending: 2,
    unexplained: 2
  }, 'the fate a device heard of yields to what the upstream got; holdings explain only what has no fate')
  t.same(r.unexplainedIds, [id(8), id(9)])
  t.equal(r.accountedFor, 9)
  t.same(buildChecks(namedScenario('normal-week'), r.fates, r.flags, 0).filter(c => !c.ok).map(c => c.what),
    ['punches lost that nothing explains', 'still pending after the drain'])
})

t.test('unexplained ids: the report keeps the first ones, the count is whole', async t => {
  const n = UNEXPLAINED_IDS_KEPT + 5
  const r = reconcileFates(ledgerOf(n), { counts: new Map() }, NOWHERE)
  t.equal(r.fates.unexplained, n)
  t.equal(r.unexplainedIds.length, UNEXPLAINED_IDS_KEPT)
  t.equal(r.unexplainedIds[0], id(1))
})

t.test('unexpected upstream: ids no device took, including ones that only look like a taken one', async t => {
  const r = reconcileFates(ledgerOf(1), { counts: counts({ [id(1)]: 1, 'X:00000001:9': 1, 'D:00000001:01': 1, junk: 1 }) }, NOWHERE)
  t.match(r.fates, { delivered: 1, unexpectedUpstream: 3 })
})

t.test('flags and lateness of what was delivered', async t => {
  const led = new FateLedger()
  const at = [0, 59_999, 60_000, 3_600_000, 100 * 3_600_000]
  for (const [i, late] of at.entries()) led.taken(id(i + 1), 1_000_000 - late)
  const up: UpstreamView = {
    counts: new Map(at.map((_, i) => [id(i + 1), 1])),
    arrivedAt: new Map(at.map((_, i) => [id(i + 1), 1_000_000])),
    flags: new Map([[id(1), ['late-sync', 'double']], [id(2), ['late-sync']], [id(3), []]])
  }
  const r = reconcileFates(led, up, NOWHERE)
  t.match(r.fates, { delivered: 5, deliveredFlagged: 2 })
  t.same(r.flags, { 'late-sync': 2, double: 1 })
  t.same(r.lateness.map(b => b.upToMs), LATENESS_BUCKETS)
  t.same(r.lateness.map(b => b.count), [2, 1, 0, 1, 0, 1], 'under a minute, under 15 min, …, 72 h and over')
  const noArrival = reconcileFates(ledgerOf(1), { counts: counts({ [id(1)]: 1 }) }, NOWHERE)
  t.equal(noArrival.lateness[0].count, 1, 'no arrival time: counted as on time')
})

t.test('copies upstream: re-sent under an accepted key, stored again, other; none counted beyond its copies', async t => {
  const up: UpstreamView = {
    counts: counts({ [id(1)]: 3, [id(2)]: 2, [id(3)]: 4, [id(4)]: 1, [id(5)]: 2, 'X:00000001:1': 2 }),
    retried: counts({ [id(1)]: 2, [id(3)]: 1, [id(4)]: 1, [id(5)]: 5 }),
    storedAgain: counts({ [id(2)]: 1, [id(3)]: 1 })
  }
  // 1: two re-sent. 2: one stored again. 3: one of each and one other. 4: a repeated key on its only
  // copy. 5: more re-sent than copies. X: nobody took it, its copy is a copy all the same.
  t.same(copiesUpstream(up), { duplicates: 8, resent: 4, storedAgain: 2, other: 2, doubledPunches: 3 })
  const r = reconcileFates(ledgerOf(5, { 1: 'acked', 2: 'acked', 3: 'acked', 4: 'acked', 5: 'acked' }), up, NOWHERE)
  t.match(r.fates, { delivered: 5, retriedCopies: 4, duplicatePunches: 3, duplicateDeliveries: 4, unexpectedUpstream: 1 },
    'the engine counts every copy not re-sent under its key as an extra copy')
  t.same(copiesUpstream({ counts: counts({ [id(1)]: 1 }) }), { duplicates: 0, resent: 0, storedAgain: 0, other: 0, doubledPunches: 0 })
})

t.test('content: a delivered punch with another emp than its device took is altered, where the ledger has the emp', async t => {
  const led = new FateLedger()
  led.taken(id(1), 0, 'E1')
  led.taken(id(2), 0, 'E2')
  led.taken(id(3), 0)
  const held = (emp: string): { emp: string } => ({ emp })
  const up: UpstreamView = { counts: counts({ [id(1)]: 1, [id(2)]: 1, [id(3)]: 1 }), punches: new Map([[id(1), held('E1')], [id(2), held('E9')], [id(3), held('E9')]]) }
  t.equal(reconcileFates(led, up, NOWHERE).altered, 1, 'seq 2 came with E9; seq 3 has no emp to hold it to')
  t.equal(reconcileFates(led, { counts: up.counts }, NOWHERE).altered, 0, 'an upstream view without content checks none')
  const rec = reconcileFates(led, up, NOWHERE)
  t.same(buildChecks(namedScenario('normal-week'), rec.fates, rec.flags, 0, rec.altered).filter(c => !c.ok).map(c => c.what),
    ['punches delivered with other content than the device took'], 'and a scenario run with an altered punch fails')
})

t.test('accounting for the acknowledged punches only: the rest are still their devices\' business', async t => {
  const led = ledgerOf(4, { 1: 'acked', 2: 'acked', 3: 'rejected' })
  const r = reconcileFates(led, { counts: counts({ [id(1)]: 1, [id(4)]: 1 }) }, NOWHERE, { accountFor: 'acked' })
  t.equal(r.accountedFor, 2)
  t.match(r.fates, { delivered: 1, unexplained: 1, rejected: 0, unexpectedUpstream: 0 }, 'seq 4 is known, delivered or not')
  t.same(r.unexplainedIds, [id(2)])
  t.match(reconcileFates(led, { counts: new Map() }, NOWHERE), { accountedFor: 4, fates: { unexplained: 3, rejected: 1 } }, 'every punch taken, by default')
})

t.test('remote mode: the acknowledged punches count as delivered once each', async t => {
  const led = ledgerOf(3, { 1: 'acked', 3: 'acked' })
  t.same(Object.fromEntries(ackedAsDelivered(led).counts), { [id(1)]: 1, [id(3)]: 1 })
  t.match(reconcileFates(led, ackedAsDelivered(led), { ...NOWHERE, onDevices: new Set([id(2)]) }).fates, { delivered: 2, pending: 1, unexplained: 0 })
})

t.test('a punch nothing accounts for fails the run', async t => {
  const led = ledgerOf(3, { 1: 'acked', 2: 'acked' })
  const up = { counts: counts({ [id(1)]: 2, 'X:00000001:9': 1 }), flags: new Map(), arrivedAt: new Map() }
  const rec = reconcileFates(led, up, { ...NOWHERE, onDevices: new Set([id(3)]) })
  t.match(rec.fates, { delivered: 1, pending: 1, unexplained: 1, duplicatePunches: 1, duplicateDeliveries: 1, unexpectedUpstream: 1 })
  t.same(rec.unexplainedIds, [id(2)], 'acked, then nowhere: the loss is named')
  const checks = buildChecks(namedScenario('normal-week'), rec.fates, rec.flags, 0)
  t.same(checks.filter(c => !c.ok).map(c => c.what), [
    'punches lost that nothing explains', 'punches upstream the simulator never made', 'extra copies upstream', 'still pending after the drain'
  ])
})

t.test('copies from a batch re-sent under its Idempotency-Key are explained; other extra copies are not', async t => {
  const led = ledgerOf(2, { 1: 'acked', 2: 'acked' })
  const up = { counts: counts({ [id(1)]: 3, [id(2)]: 2 }), retried: counts({ [id(1)]: 1, [id(2)]: 1 }) }
  const rec = reconcileFates(led, up, NOWHERE)
  t.match(rec.fates, { delivered: 2, retriedCopies: 2, duplicatePunches: 1, duplicateDeliveries: 1 }, 'one copy of seq 1 came in a new batch')
  t.same(buildChecks(namedScenario('normal-week'), rec.fates, rec.flags, 0).filter(c => !c.ok).map(c => c.what), ['extra copies upstream'])
})
