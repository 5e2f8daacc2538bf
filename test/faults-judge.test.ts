/**
 * The fault suite's one rule (faults/judge.ts, on the reconciliation of sim/engine/fate-reconcile.ts that
 * test/sim-fate-reconcile.test.ts covers) on hand-made ledgers, so a change in it is caught here and not
 * only through a fault run: what must be upstream, what was lost, parked or altered, the three kinds of
 * duplicates, and the bounds `judge` holds them to. The last tests feed the real fake upstream over HTTP,
 * to pin what its ledger counts as a same-key copy, and what a fault site counts on top of it (copies
 * stored again).
 */
import t from 'tap'
import { request } from 'node:http'
import { judge, reconcileRun, type Reconciliation } from '../faults/judge.js'
import { FateLedger } from '../sim/engine/fate-ledger.js'
import { copiesUpstream, type UpstreamView } from '../sim/engine/fate-reconcile.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { FaultSite } from '../faults/site.js'
import type { UpstreamPunch } from '../shared/upstream.js'

const upstreamPunch = (id: string, emp: string, received = '2026-12-07T00:00:00.000Z'): UpstreamPunch => {
  const [device, epoch, seq] = id.split(':')
  return { id, device, epoch, seq: Number(seq), ts: '2026-12-07T00:00:00.000Z', emp, kind: 'in', method: 'card', received, flags: [] }
}

/** The devices' side: `taken` as id → emp, `acked` a subset of it. */
const truthOf = (taken: Record<string, string>, acked: string[]): FateLedger => {
  const truth = new FateLedger()
  for (const [id, emp] of Object.entries(taken)) truth.taken(id, 0, emp)
  for (const id of acked) truth.settle(id, 'acked')
  return truth
}

/** The upstream's side: the punches it holds (id → emp), and copies beyond the first of some (id → count), by kind. */
const upstreamOf = (held: Record<string, string>, copies: { again?: Record<string, number>, retried?: Record<string, number>, storedAgain?: Record<string, number> } = {}): UpstreamView => ({
  counts: new Map(Object.keys(held).map(id => [id, 1 + (copies.again?.[id] ?? 0)])),
  retried: new Map(Object.entries(copies.retried ?? {})),
  storedAgain: new Map(Object.entries(copies.storedAgain ?? {})),
  punches: new Map(Object.entries(held).map(([id, emp]) => [id, upstreamPunch(id, emp)]))
})

const ids = (n: number, from = 1): string[] => Array.from({ length: n }, (_, i) => `T-1:9f2c41d0:${from + i}`)
const everyone = (list: string[], emp = 'E1'): Record<string, string> => Object.fromEntries(list.map(id => [id, emp]))
const [A, B, C] = ids(3)

t.test('every acknowledged punch upstream once: nothing to say', async t => {
  const r = reconcileRun(truthOf(everyone([A, B, C]), [A, B, C]), upstreamOf(everyone([A, B, C])))
  t.same(r, { expected: 3, delivered: 3, lost: 0, lostIds: [], altered: 0, parked: 0, unexpected: 0, duplicates: 0, resent: 0, storedAgain: 0, other: 0 })
  t.same(judge(r, { bound: 0 }), [])
})

t.test('lost: acknowledged and not upstream, the first ten ids named', async t => {
  const r = reconcileRun(truthOf(everyone([A, B, C]), [A, B, C]), upstreamOf(everyone([A])))
  t.match(r, { expected: 3, delivered: 1, lost: 2, lostIds: [B, C] })
  t.same(judge(r, { bound: 100 }), [`2 punches acknowledged and never delivered (${B}, ${C})`])
  const many = ids(12)
  const r12 = reconcileRun(truthOf(everyone(many), many), upstreamOf({}))
  t.equal(r12.lost, 12)
  t.same(r12.lostIds, many.slice(0, 10), 'the report lists the first ten')
})

t.test('what must be upstream: the acknowledged punches by default, every punch taken on request', async t => {
  const truth = truthOf(everyone([A, B]), [A])
  const up = upstreamOf(everyone([A]))
  t.match(reconcileRun(truth, up), { expected: 1, delivered: 1, lost: 0 }, 'B was taken but never acknowledged: it may be missing')
  t.match(reconcileRun(truth, up, { must: 'acked' }), { expected: 1, lost: 0 })
  t.match(reconcileRun(truth, up, { must: 'taken' }), { expected: 2, delivered: 1, lost: 1, lostIds: [B] }, 'a power cut: every punch confirmed to the person must arrive')
})

t.test('parked: missing on purpose only when the gateway parked it', async t => {
  const truth = truthOf(everyone([A, B, C]), [A, B, C])
  const r = reconcileRun(truth, upstreamOf(everyone([A])), { parked: new Set([B]) })
  t.match(r, { expected: 3, delivered: 1, parked: 1, lost: 1, lostIds: [C] })
  t.same(judge(r, { bound: 0 }), [`1 punches acknowledged and never delivered (${C})`])
  t.match(reconcileRun(truth, upstreamOf(everyone([A, B, C])), { parked: new Set([B]) }), { delivered: 3, parked: 0 }, 'a parked id that arrived anyway is delivered')
})

t.test('altered: delivered with another employee than the device took (a seq used twice)', async t => {
  const r = reconcileRun(truthOf(everyone([A, B]), [A, B]), upstreamOf({ [A]: 'E1', [B]: 'E2' }))
  t.match(r, { delivered: 2, altered: 1, lost: 0 })
  t.same(judge(r, { bound: 0 }), ['1 punches delivered with other content than the device took: a seq was used twice'])
})

t.test('unexpected: upstream ids no device took, allowed only as many as the fault says', async t => {
  const [, , , D] = ids(4)
  const r = reconcileRun(truthOf(everyone([A]), [A]), upstreamOf(everyone([A, D])))
  t.match(r, { delivered: 1, unexpected: 1 })
  t.same(judge(r, { bound: 0 }), ['1 punches upstream that no device took'])
  t.same(judge(r, { bound: 0, unexpected: 1 }), [], 'a power cut may leave an append the device never confirmed')
})

t.test('same-key duplicates: counted as resent, within the bound they are no problem', async t => {
  const up = upstreamOf(everyone([A, B]), { again: { [A]: 2, [B]: 1 }, retried: { [A]: 2, [B]: 1 } })
  t.same(copiesUpstream(up), { duplicates: 3, resent: 3, storedAgain: 0, other: 0, doubledPunches: 0 })
  const r = reconcileRun(truthOf(everyone([A, B]), [A, B]), up)
  t.same(judge(r, { bound: 3 }), [], 'exactly at the bound')
  t.same(judge(r, { bound: 2 }), ['3 duplicates upstream, over the bound of 2'])
})

t.test('stored again: copies of punches the gateway stored twice, allowed only when the fault deletes what it stored', async t => {
  const up = upstreamOf(everyone([A, B]), { again: { [A]: 1, [B]: 1 }, storedAgain: { [A]: 1, [B]: 1 } })
  t.same(copiesUpstream(up), { duplicates: 2, resent: 0, storedAgain: 2, other: 0, doubledPunches: 2 })
  const r = reconcileRun(truthOf(everyone([A, B]), [A, B]), up)
  t.same(judge(r, { bound: 2 }), ['2 copies of punches the gateway stored a second time, over the 0 allowed'], 'none allowed by default')
  t.same(judge(r, { bound: 2, storedAgain: 1 }), ['2 copies of punches the gateway stored a second time, over the 1 allowed'])
  t.same(judge(r, { bound: 2, storedAgain: 2 }), [])
})

t.test('other duplicates: a punch stored once that went out under a new key is a problem within any bound', async t => {
  const up = upstreamOf(everyone([A, B]), { again: { [A]: 2, [B]: 1 }, retried: { [A]: 1 }, storedAgain: { [B]: 1 } })
  const r = reconcileRun(truthOf(everyone([A, B]), [A, B]), up)
  t.match(r, { duplicates: 3, resent: 1, storedAgain: 1, other: 1 })
  t.same(judge(r, { bound: 10, storedAgain: 1 }), ['1 copies of punches stored once went out again under a new Idempotency-Key'])
})

t.test('every problem at once, in a fixed order', async t => {
  const r: Reconciliation = { expected: 5, delivered: 3, lost: 1, lostIds: [A], altered: 1, parked: 1, unexpected: 2, duplicates: 6, resent: 2, storedAgain: 1, other: 3 }
  t.same(judge(r, { bound: 5 }), [
    `1 punches acknowledged and never delivered (${A})`,
    '1 punches delivered with other content than the device took: a seq was used twice',
    '6 duplicates upstream, over the bound of 5',
    '3 copies of punches stored once went out again under a new Idempotency-Key',
    '1 copies of punches the gateway stored a second time, over the 0 allowed',
    '2 punches upstream that no device took'
  ])
})

/** POSTs a batch to the upstream at `url`; resolves with the status, or with 0 when `signal` aborts it. */
const post = async (url: string, key: string, punches: UpstreamPunch[], signal?: AbortSignal): Promise<number> => await new Promise((resolve, reject) => {
  const body = JSON.stringify({ gateway: 'gw', batch: key, punches })
  const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, signal }, res => {
    res.resume()
    res.on('end', () => resolve(res.statusCode ?? 0))
  })
  req.on('error', err => { if (signal?.aborted === true) resolve(0); else reject(err) })
  req.end(body)
})

t.test('the real fake upstream: a batch again under an accepted key is resent, under a new key it is not', async t => {
  const sink = new WebhookUpstream()
  await sink.start()
  t.teardown(() => sink.close())
  t.equal(await post(sink.url, 'k1', [upstreamPunch(A, 'E1'), upstreamPunch(B, 'E1')]), 200)
  t.equal(await post(sink.url, 'k1', [upstreamPunch(A, 'E1'), upstreamPunch(B, 'E1')]), 200, 'the answer was lost: the same batch again')
  t.equal(await post(sink.url, 'k2', [upstreamPunch(A, 'E1')]), 200, 'a punch stored once sent under a new key')
  const up = { counts: sink.received, retried: sink.retried, punches: sink.punches }
  t.same(copiesUpstream(up), { duplicates: 3, resent: 2, storedAgain: 0, other: 1, doubledPunches: 1 })
  const r = reconcileRun(truthOf(everyone([A, B]), [A, B]), up)
  t.match(r, { expected: 2, delivered: 2, lost: 0 })
  t.same(judge(r, { bound: 3 }), ['1 copies of punches stored once went out again under a new Idempotency-Key'])
})

t.test('a fault site counts a copy stored again only when the upstream took both copies', async t => {
  const site = new FaultSite('reconcile-test')
  t.teardown(() => site.close())
  await site.sink.start()
  let hang = true
  site.respond(() => hang ? { status: 200, hang: 'request' } : { status: 200 })
  const held = new AbortController()
  const first = post(site.sink.url, 'k1', [upstreamPunch(A, 'E1', '2026-12-07T00:00:01.000Z')], held.signal)
  await site.sink.waitFor(() => site.sink.requests.length === 1)
  held.abort()
  t.equal(await first, 0, 'the upstream held the request unread and the gateway gave up on it')
  hang = false
  t.equal(await post(site.sink.url, 'k2', [upstreamPunch(A, 'E1', '2026-12-07T00:00:09.000Z')]), 200, 'stored again (a lost database), then taken')
  t.same(copiesUpstream(site.upstreamView()), { duplicates: 0, resent: 0, storedAgain: 0, other: 0, doubledPunches: 0 }, 'the upstream holds one copy: nothing was stored twice upstream')
  t.equal(await post(site.sink.url, 'k3', [upstreamPunch(A, 'E1', '2026-12-07T00:00:20.000Z')]), 200, 'stored a third time, and taken again')
  t.same(copiesUpstream(site.upstreamView()), { duplicates: 1, resent: 0, storedAgain: 1, other: 0, doubledPunches: 1 })
  t.same(judge(reconcileRun(truthOf(everyone([A]), [A]), site.upstreamView()), { bound: 1, storedAgain: 1 }), [])
})
