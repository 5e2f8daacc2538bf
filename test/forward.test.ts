/**
 * The forwarder and the webhook sink against a real HTTP upstream on 127.0.0.1, with a real SQLite file:
 * what each kind of answer does to a batch, its key and its punches (PROTOCOL.md, "Upstream HTTP webhook").
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { openDatabase, type Db } from '../gateway/store/db.js'
import { ForwardStore } from '../gateway/store/forward-store.js'
import { Forwarder, type ForwarderOptions } from '../gateway/forward/forwarder.js'
import { WebhookSink, classify } from '../gateway/forward/webhook-sink.js'
import { directOutboxWrites, type OutboxWrites } from '../gateway/store/outbox-writes.js'
import { silentLogger } from '../shared/log.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { storePunches, idOf, T0 } from './fixtures/stored-punches.js'
import { until } from './helpers/wait.js'

interface Rig { db: Db, store: ForwardStore, sink: WebhookUpstream, forwarder: Forwarder, file: string }

async function rig (t: Test, opts: Partial<ForwarderOptions> & { timeoutMs?: number, file?: string, token?: string } = {}): Promise<Rig> {
  const file = opts.file ?? join(t.testdir(), 'gw.db')
  const db = openDatabase(file)
  const store = new ForwardStore(db)
  const sink = new WebhookUpstream()
  await sink.start()
  const forwarder = new Forwarder({
    store,
    sink: new WebhookSink({ url: sink.url, token: opts.token, timeoutMs: opts.timeoutMs ?? 5000 }),
    gatewayId: 'gw-test',
    batchSize: 100,
    lingerMs: 0,
    concurrency: 2,
    backoff: { baseMs: 50, capMs: 400 },
    logger: silentLogger(),
    pollMs: 100,
    ...opts
  })
  t.teardown(async () => { await forwarder.stop(); await sink.close(); if (db.open) db.close() })
  return { db, store, sink, forwarder, file }
}

t.test('every punch arrives once, with the documented fields and headers', async t => {
  const { db, sink, forwarder, store } = await rig(t, { token: 's3cret' })
  storePunches(db, 'T-1', [1, 2, 3])
  storePunches(db, 'W-1', [7], { loc: { lat: 1.29, lon: 103.85, acc: 12 }, manual: { reason: 'forgot badge' }, method: 'gps' })
  forwarder.start()
  await sink.waitFor(() => sink.received.size === 4)
  t.same([...sink.received.values()], [1, 1, 1, 1])
  const req = sink.requests[0]
  t.equal(req.headers.authorization, 'Bearer s3cret')
  t.equal(req.headers['content-type'], 'application/json')
  t.equal(req.headers['idempotency-key'], req.body?.batch)
  t.equal(req.body?.gateway, 'gw-test')
  t.same(sink.punches.get(idOf('T-1', 1)), {
    id: 'T-1:9f2c41d0:1',
    device: 'T-1',
    epoch: '9f2c41d0',
    seq: 1,
    ts: new Date(T0 + 1000).toISOString(),
    local: '2026-11-22T08:58:04.120+08:00',
    emp: 'E1001',
    kind: 'in',
    method: 'card',
    received: new Date(T0 + 1000).toISOString(),
    flags: []
  })
  t.match(sink.punches.get(idOf('W-1', 7)), { loc: { lat: 1.29, lon: 103.85, acc: 12 }, manual: { reason: 'forgot badge' }, method: 'gps' })
  await until(() => store.backlog().pendingPunches === 0)
  t.same(forwarder.stats().delivered, 4)
})

t.test('503 then 200: the retry keeps its Idempotency-Key', async t => {
  const { db, sink, forwarder } = await rig(t)
  let n = 0
  sink.respond(() => (++n <= 2 ? { status: 503 } : { status: 200 }))
  storePunches(db, 'T-1', [1, 2])
  forwarder.start()
  await sink.waitFor(() => sink.received.size === 2)
  const keys = sink.requests.map(r => r.headers['idempotency-key'])
  t.equal(keys.length, 3)
  t.equal(new Set(keys).size, 1, 'one key for all three attempts')
  t.equal(forwarder.stats().failures.retry, 2)
})

t.test('429 with Retry-After: the next attempt waits at least that long', async t => {
  const { db, sink, forwarder } = await rig(t)
  let n = 0
  sink.respond(() => (++n === 1 ? { status: 429, headers: { 'Retry-After': '1' } } : { status: 200 }))
  storePunches(db, 'T-1', [1])
  forwarder.start()
  await sink.waitFor(() => sink.received.size === 1)
  const gap = sink.requests[1].at - sink.requests[0].at
  t.ok(gap >= 990, `retried after ${gap} ms, not before the upstream asked`)
})

t.test('connection resets and timeouts are retried with the same key', async t => {
  const { db, sink, forwarder } = await rig(t, { timeoutMs: 300 })
  let n = 0
  sink.respond(() => {
    n++
    if (n === 1) return { status: 200, reset: true }
    if (n === 2) return { status: 503, delayMs: 1000 }
    return { status: 200 }
  })
  storePunches(db, 'T-1', [1, 2, 3])
  forwarder.start()
  await sink.waitFor(() => sink.received.size === 3)
  t.equal(new Set(sink.requests.map(r => r.headers['idempotency-key'])).size, 1)
  t.ok(forwarder.stats().failures.retry >= 2)
  t.match(forwarder.stats().lastError, /timeout|reset|socket|fetch failed/i)
})

t.test('413: split until the pieces fit, every punch once', async t => {
  const { db, sink, forwarder, store } = await rig(t)
  sink.respond(req => (req.body!.punches.length > 3 ? { status: 413 } : { status: 200 }))
  storePunches(db, 'T-1', Array.from({ length: 20 }, (_, i) => i + 1))
  forwarder.start()
  await sink.waitFor(() => sink.received.size === 20)
  t.ok([...sink.received.values()].every(c => c === 1))
  t.same(store.listDeadLetters({ limit: 10 }), [])
  const keys = sink.requests.map(r => r.headers['idempotency-key'])
  t.equal(new Set(keys).size, keys.length, 'every split piece has its own key')
})

t.test('401: a configuration fault is retried slowly and dead-letters nothing', async t => {
  const { db, sink, forwarder, store } = await rig(t)
  let fixed = false
  sink.respond(() => (fixed ? { status: 200 } : { status: 401, body: '{"error":"bad token"}' }))
  storePunches(db, 'T-1', [1, 2])
  forwarder.start()
  await sink.waitFor(() => sink.requests.length >= 2)
  t.equal(store.listDeadLetters({ limit: 10 }).length, 0)
  t.match(forwarder.stats().lastError, 'bad token')
  const gap = sink.requests[1].at - sink.requests[0].at
  t.ok(gap >= 390, `config faults wait the backoff cap (${gap} ms)`)
  fixed = true
  await sink.waitFor(() => sink.received.size === 2)
})

t.test('409 means the upstream already has the batch: delivered', async t => {
  const { db, sink, forwarder, store } = await rig(t)
  sink.respond(() => ({ status: 409 }))
  storePunches(db, 'T-1', [1])
  forwarder.start()
  await until(() => store.backlog().pendingPunches === 0)
  t.equal(sink.requests.length, 1)
  t.equal(forwarder.stats().delivered, 1)
})

t.test('a batch interrupted by a restart is sent again under its first key', async t => {
  const dir = t.testdir()
  const file = join(dir, 'gw.db')
  const first = await rig(t, { file, stopGraceMs: 50 })
  first.sink.respond(() => ({ status: 200, delayMs: 2000 }))
  storePunches(first.db, 'T-1', [1, 2])
  first.forwarder.start()
  await first.sink.waitFor(() => first.sink.requests.length === 1)
  const key = first.sink.requests[0].headers['idempotency-key']
  await first.forwarder.stop()
  first.db.close()
  const second = await rig(t, { file })
  second.forwarder.start()
  await second.sink.waitFor(() => second.sink.received.size === 2)
  t.equal(second.sink.requests[0].headers['idempotency-key'], key)
})

t.test('a delivery the store cannot write down is sent again after a backoff, not at once', async t => {
  // What a full disk does (found by faults/disk-full.ts): the upstream takes the batch, complete() fails.
  const { db, sink, forwarder, store } = await rig(t, { backoff: { baseMs: 100, capMs: 400 } })
  const complete = store.complete.bind(store)
  let failures = 0
  store.complete = (key: string): void => {
    if (++failures <= 3) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })
    complete(key)
  }
  storePunches(db, 'T-1', [1, 2])
  forwarder.start()
  await until(() => store.backlog().pendingPunches === 0, 'the batch to be written down as delivered')
  t.equal(sink.requests.length, 4, 'sent once, then once after each failure to write it down')
  t.equal(new Set(sink.requests.map(r => r.headers['idempotency-key'])).size, 1, 'always under its key')
  const gaps = sink.requests.slice(1).map((r, i) => r.at - sink.requests[i].at)
  t.ok(gaps[0] >= 90 && gaps[1] >= 190 && gaps[2] >= 390, `held back 100, 200, 400 ms (${gaps.join(', ')} ms)`)
})

t.test('a request in flight with a slot free: the outbox is not polled in a loop meanwhile', async t => {
  const { db, sink, forwarder, store } = await rig(t, { pollMs: 2000 })
  sink.respond(() => ({ status: 200, delayMs: 1500 }))
  const nextDueAt = store.nextDueAt.bind(store)
  let looks = 0
  store.nextDueAt = () => { looks++; return nextDueAt() }
  storePunches(db, 'T-1', [1])
  forwarder.start()
  await sink.waitFor(() => sink.requests.length === 1)
  looks = 0
  await new Promise(resolve => setTimeout(resolve, 500))
  t.ok(looks <= 2, `looked ${looks} times in 500 ms with one request in flight`)
  await sink.waitFor(() => sink.received.size === 1)
})

/**
 * The outbox writes on a connection of their own to `file` (closed at the end), with `form` in place of
 * formBatches; `db` is that connection, for storing the punches.
 */
function watchedWrites (t: Test, file: string, form: (formBatches: OutboxWrites['formBatches'], ...args: Parameters<OutboxWrites['formBatches']>) => ReturnType<OutboxWrites['formBatches']>): { db: Db, writes: OutboxWrites } {
  const db = openDatabase(file)
  t.teardown(() => { if (db.open) db.close() })
  const direct = directOutboxWrites(new ForwardStore(db))
  return { db, writes: { complete: direct.complete, formBatches: async (...args) => await form(direct.formBatches, ...args) } }
}

t.test('a backlog is formed ahead once the upstream takes batches: few transactions, each batch sent once', async t => {
  const file = join(t.testdir(), 'gw.db')
  const formed: number[] = []
  const { db, writes } = watchedWrites(t, file, async (formBatches, size, count, now) => {
    const b = await formBatches(size, count, now)
    formed.push(b.length)
    return b
  })
  const { sink, forwarder, store } = await rig(t, { file, writes })
  storePunches(db, 'T-1', Array.from({ length: 3000 }, (_, i) => i + 1))
  forwarder.start()
  await sink.waitFor(() => sink.received.size === 3000)
  t.same([...new Set(sink.received.values())], [1], 'every punch once')
  t.equal(sink.requests.length, 30, 'in full batches')
  // Before the first delivery, a batch per free slot (as many as an upstream down since the start leaves);
  // after it, the rest in one transaction, where one per request made 15.
  t.same(formed, [2, 28])
  await until(() => store.backlog().pendingPunches === 0)
})

t.test('while the outbox cannot be written (a full disk), forming is tried again after pollMs, one batch at a time', async t => {
  const file = join(t.testdir(), 'gw.db')
  const asked: number[] = []
  let full = true
  const { db, writes } = watchedWrites(t, file, async (formBatches, size, count, now) => {
    asked.push(count)
    if (full) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })
    return await formBatches(size, count, now)
  })
  const { sink, forwarder } = await rig(t, { file, pollMs: 200, writes })
  storePunches(db, 'T-1', Array.from({ length: 1000 }, (_, i) => i + 1))
  forwarder.start()
  await new Promise(resolve => setTimeout(resolve, 1000))
  t.ok(asked.length >= 2 && asked.length <= 7, `${asked.length} forms tried in 1 s with pollMs 200`)
  full = false
  await sink.waitFor(() => sink.received.size === 1000)
  t.same(asked.slice(0, 3), [2, 1, 1], 'a batch per slot at first, then one at a time while forming fails')
  t.ok(asked.length <= 12, 'then ahead again once a form is made')
})

t.test('a partial batch lingers, then goes out as one request', async t => {
  const { db, sink, forwarder } = await rig(t, { lingerMs: 300 })
  forwarder.start()
  storePunches(db, 'T-1', [1], {}, Date.now())
  forwarder.notify()
  await new Promise(resolve => setTimeout(resolve, 50))
  storePunches(db, 'T-1', [2], {}, Date.now())
  forwarder.notify()
  await sink.waitFor(() => sink.received.size === 2)
  t.equal(sink.requests.length, 1)
})

t.test('classify follows the contract table', async t => {
  t.same(classify(200, ''), { outcome: 'delivered' })
  t.same(classify(204, ''), { outcome: 'delivered' })
  t.same(classify(409, ''), { outcome: 'delivered' })
  for (const s of [400, 413, 422]) t.equal(classify(s, 'x').outcome, 'split', String(s))
  for (const s of [401, 403, 404, 405, 418]) t.equal(classify(s, '').outcome, 'config', String(s))
  for (const s of [408, 425, 429, 500, 502, 503, 504]) t.equal(classify(s, '').outcome, 'retry', String(s))
  t.same(classify(429, 'slow down', 2000), { outcome: 'retry', status: 429, error: 'HTTP 429: slow down', retryAfterMs: 2000, notTaken: true })
  // Only refusals made before the request is processed say the upstream does not have the batch.
  for (const s of [408, 425, 429, 503]) t.match(classify(s, ''), { notTaken: true }, `${s}: not taken`)
  for (const s of [500, 502, 504]) t.notOk('notTaken' in classify(s, ''), `${s}: perhaps taken`)
})
