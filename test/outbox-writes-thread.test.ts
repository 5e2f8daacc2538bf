/**
 * The forwarder's outbox writes through the commit thread (ingest/pipelined-commit.ts as OutboxWrites): a
 * real SQLite file and the real thread. Batches formed and deliveries recorded are visible to the event
 * loop's connection once answered; full batches are claimed ahead in the transaction that stores their
 * punches, up to the bound; a stopped thread fails what it held instead of leaving it unanswered.
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { openDatabase, type Db } from '../gateway/store/db.js'
import { ForwardStore } from '../gateway/store/forward-store.js'
import type { PunchRow } from '../gateway/store/punch-store.js'
import { PipelinedCommit } from '../gateway/ingest/pipelined-commit.js'
import type { OutboxClaim } from '../gateway/store/outbox-writes.js'

const T0 = Date.parse('2026-11-22T00:58:03.120Z')
const rowsOf = (device: string, from: number, n: number): PunchRow[] => Array.from({ length: n }, (_, i) => ({
  device, epoch: '9f2c41d0', tz: 480, flags: '', punch: { seq: from + i, ts: T0 + (from + i) * 1000, emp: 'E1', kind: 'in', method: 'card', clock: 'synced' }
}))

async function rig (t: Test, claim?: () => OutboxClaim | undefined, recordHere = false): Promise<{ db: Db, c: PipelinedCommit, outbox: ForwardStore }> {
  const file = join(t.testdir(), 'p.db')
  const db = openDatabase(file)
  t.teardown(() => db.close())
  const here = new ForwardStore(db)
  const c = await PipelinedCommit.start({ thread: { file, busyTimeoutMs: 5000, maxRows: 20_000 }, maxQueuedRows: 200_000, claim, ...(recordHere ? { recordOnDiscard: (key: string) => here.complete(key) } : {}) })
  t.teardown(async () => { c.discard(); await c.close() })
  return { db, c, outbox: new ForwardStore(db) }
}

async function store (c: PipelinedCommit, rows: PunchRow[]): Promise<void> {
  await new Promise<void>((resolve, reject) => c.enqueue({ rows, received: T0, done: (err) => { if (err === null) resolve(); else reject(err) } }))
}

t.test('batches formed on the thread, then a delivery recorded there: the loop\'s connection sees both once answered', async t => {
  const { c, outbox } = await rig(t)
  await store(c, rowsOf('A', 1, 25))
  const formed = await c.formBatches(10, 5, T0)
  t.same(formed.map(b => [b.firstId, b.lastId]), [[1, 10], [11, 20], [21, 25]], 'up to the count, the last one partial')
  t.same(outbox.dueBatches(T0, 10, new Set()).map(b => b.key), formed.map(b => b.key), 'on disk before the answer')
  t.equal(outbox.cursor(), 25)
  await c.complete(formed[0].key)
  t.equal(outbox.get(formed[0].key), undefined, 'the delivered batch left the outbox')
  t.equal(outbox.backlog().pendingPunches, 15, 'its punches are no longer pending')
  t.same(await c.formBatches(10, 2, T0), [], 'nothing left to form')
})

t.test('full batches are claimed ahead in the transaction that stores their punches, up to the bound', async t => {
  let claim: OutboxClaim | undefined = { size: 10, upTo: 3, now: T0 }
  const { c, outbox } = await rig(t, () => claim)
  await store(c, rowsOf('A', 1, 25))
  t.same(outbox.dueBatches(T0, 10, new Set()).map(b => [b.firstId, b.lastId]), [[1, 10], [11, 20]], 'full batches only; the rest waits past the cursor')
  await store(c, rowsOf('A', 26, 40))
  t.equal(outbox.dueBatches(T0, 10, new Set()).length, 3, 'no more than the bound due at once')
  claim = undefined
  await store(c, rowsOf('B', 1, 30))
  t.equal(outbox.dueBatches(T0, 10, new Set()).length, 3, 'none claimed while the forwarder asks for none')
})

t.test('a discarded thread fails the outbox writes it held; after close they fail at once', async t => {
  const { c } = await rig(t)
  const pending = c.complete('no-such-batch')
  c.discard()
  await t.rejects(pending, /stopped/)
  await c.close()
  await t.rejects(c.formBatches(10, 1, T0), /closed/)
})

t.test('at a discard, a delivery answered and not yet recorded is recorded on the caller\'s connection, as the in-loop commit did in the same turn', async t => {
  const { c, outbox } = await rig(t, undefined, true)
  await store(c, rowsOf('A', 1, 10))
  const [batch] = await c.formBatches(10, 1, T0)
  const recorded = c.complete(batch.key)
  c.discard()
  await recorded
  t.equal(outbox.get(batch.key), undefined, 'the batch left the outbox')
  t.equal(outbox.backlog().pendingPunches, 0)
  await c.complete('no-such-batch')
  t.pass('after the discard too, on the caller\'s connection')
})
