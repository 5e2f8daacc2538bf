/**
 * The outbox on a real SQLite file: batches keep their keys across reopen, splits and dead letters keep
 * every punch accounted for, and the backlog counts what the upstream has not accepted.
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { openDatabase } from '../gateway/store/db.js'
import { ForwardStore } from '../gateway/store/forward-store.js'
import { storePunches, T0 } from './fixtures/stored-punches.js'

const NONE = new Set<string>()

function open (t: Test, file?: string): { db: ReturnType<typeof openDatabase>, store: ForwardStore, file: string } {
  const path = file ?? join(t.testdir(), 'gw.db')
  const db = openDatabase(path)
  t.teardown(() => { if (db.open) db.close() })
  return { db, store: new ForwardStore(db), file: path }
}

const ids = (store: ForwardStore, key: string): number[] => store.loadPunches(store.get(key)!).map(p => p.seq)

t.test('batches are formed past the cursor, in id order, at most `size` punches', async t => {
  const { db, store } = open(t)
  t.equal(store.formBatch(10, T0), undefined, 'nothing to form on an empty store')
  storePunches(db, 'T-1', [1, 2, 3, 4, 5])
  t.same(store.waiting(100), { count: 5, firstReceived: T0 + 1000 })
  const a = store.formBatch(3, T0)!
  const b = store.formBatch(3, T0)!
  t.same(ids(store, a.key), [1, 2, 3])
  t.same(ids(store, b.key), [4, 5])
  t.not(a.key, b.key)
  t.equal(store.formBatch(3, T0), undefined, 'the cursor moved past everything')
  t.same(store.waiting(100).count, 0)
  t.same(store.dueBatches(T0, 10, NONE).map(x => x.key), [a.key, b.key])
  t.same(store.dueBatches(T0, 10, new Set([a.key])).map(x => x.key), [b.key], 'keys in flight are skipped')
})

t.test('a batch keeps its key and attempts across a reopen of the file', async t => {
  const first = open(t)
  storePunches(first.db, 'T-1', [1, 2])
  const batch = first.store.formBatch(10, T0)!
  first.store.retryLater(batch.key, T0 + 5000, 'HTTP 503')
  first.db.close()
  const again = open(t, first.file)
  t.same(again.store.dueBatches(T0, 10, NONE), [], 'not due before next_at')
  const [due] = again.store.dueBatches(T0 + 5000, 10, NONE)
  t.equal(due.key, batch.key)
  t.equal(due.attempts, 1)
  t.equal(due.lastError, 'HTTP 503')
  t.equal(again.store.nextDueAt(), T0 + 5000)
})

t.test('a split covers the same punches with two new keys; a single punch is not split', async t => {
  const { db, store } = open(t)
  storePunches(db, 'T-1', [1, 2, 3, 4, 5])
  const whole = store.formBatch(10, T0)!
  const halves = store.split(whole.key, T0)
  t.equal(halves.length, 2)
  t.equal(store.get(whole.key), undefined, 'the whole is gone')
  t.ok(halves.every(h => h.key !== whole.key), 'halves get new keys')
  t.same([...ids(store, halves[0].key), ...ids(store, halves[1].key)], [1, 2, 3, 4, 5])
  const [left] = halves
  const quarters = store.split(left.key, T0)
  const single = quarters.find(q => ids(store, q.key).length === 1)!
  t.same(store.split(single.key, T0), [], 'one punch cannot be split')
  t.ok(store.get(single.key), 'and its batch stays as it was')
})

t.test('dead letters: parked with the reason, out of the backlog, replayed as new batches', async t => {
  const { db, store } = open(t)
  storePunches(db, 'T-1', [1, 2, 3])
  const whole = store.formBatch(10, T0)!
  t.same(store.backlog(), { batches: 1, pendingPunches: 3, oldestReceived: T0 + 1000, deadLetters: 0 })
  const [left, right] = store.split(whole.key, T0)
  t.same(ids(store, left.key), [1])
  t.equal(store.deadLetter(left.key, 422, 'HTTP 422: emp: unknown employee', T0 + 10), 1)
  store.complete(right.key)
  t.same(store.backlog(), { batches: 0, pendingPunches: 0, oldestReceived: null, deadLetters: 1 })
  const [dl] = store.listDeadLetters({ limit: 10 })
  t.match(dl, { punch: 'T-1:9f2c41d0:1', emp: 'E1001', status: 422, reason: 'HTTP 422: emp: unknown employee', at: T0 + 10 })

  t.equal(store.replayDeadLetters([dl.rowId + 1000], T0), 0, 'an id that is not a dead letter replays nothing')
  t.equal(store.replayDeadLetters('all', T0 + 20), 1)
  t.same(store.listDeadLetters({ limit: 10 }), [], 'replayed letters are no longer listed')
  t.equal(store.replayDeadLetters('all', T0 + 30), 0, 'and are not replayed twice')
  const [replay] = store.dueBatches(T0 + 20, 10, NONE)
  t.same(ids(store, replay.key), [1])
  t.equal(store.backlog().pendingPunches, 1, 'a replayed punch is pending again')

  // Refused again: parked again, listed again.
  store.deadLetter(replay.key, 422, 'still unknown', T0 + 40)
  t.match(store.listDeadLetters({ limit: 10 }), [{ punch: 'T-1:9f2c41d0:1', reason: 'still unknown' }])
})

t.test('the backlog counts punches past the cursor and inside batches, oldest first', async t => {
  const { db, store } = open(t)
  storePunches(db, 'T-1', [1, 2], {}, T0)
  storePunches(db, 'T-2', [1, 2, 3], {}, T0 + 50)
  store.formBatch(2, T0)
  t.same(store.backlog(), { batches: 1, pendingPunches: 5, oldestReceived: T0, deadLetters: 0 })
  store.complete(store.dueBatches(T0, 1, NONE)[0].key)
  t.same(store.backlog(), { batches: 0, pendingPunches: 3, oldestReceived: T0 + 50, deadLetters: 0 })
})

t.test('reasons are bounded before they reach the database', async t => {
  const { db, store } = open(t)
  storePunches(db, 'T-1', [1])
  const b = store.formBatch(10, T0)!
  store.retryLater(b.key, T0, 'x'.repeat(100_000))
  t.equal(store.get(b.key)!.lastError!.length, 1000)
  store.deadLetter(b.key, null, 'y'.repeat(100_000), T0)
  t.equal(store.listDeadLetters({ limit: 1 })[0].reason.length, 1000)
})

t.test('completing and rescheduling skip the fsync but leave the connection at synchronous=FULL, and persist', async t => {
  const first = open(t)
  storePunches(first.db, 'T-1', [1, 2, 3])
  const a = first.store.formBatch(1, T0)!
  const b = first.store.formBatch(1, T0)!
  const FULL = 2
  first.store.complete(a.key)
  t.equal(first.db.pragma('synchronous', { simple: true }), FULL, 'back to FULL after complete()')
  first.store.retryLater(b.key, T0 + 5000, 'HTTP 503')
  t.equal(first.db.pragma('synchronous', { simple: true }), FULL, 'back to FULL after retryLater()')
  first.db.transaction(() => first.store.retryLater(b.key, T0 + 9000, 'HTTP 503 again'))()
  t.equal(first.db.pragma('synchronous', { simple: true }), FULL, 'inside a transaction the setting is left alone')
  first.db.close()
  const again = open(t, first.file)
  t.equal(again.store.get(a.key), undefined, 'the delivered batch is gone after a reopen')
  t.match(again.store.get(b.key), { attempts: 2, nextAt: T0 + 9000, lastError: 'HTTP 503 again' })
})

t.test('the punches of a batch are read back whole: every column of the table, as SELECT * gives them', async t => {
  const { db, store } = open(t)
  storePunches(db, 'T-1', [1, 2, 3])
  db.prepare("UPDATE punches SET lat = 1.5, lon = 2.5, acc = 10, manual = 'forgot badge', up = 1234, person = 'P-7', tz = -330 WHERE seq = 2").run()
  const batch = store.formBatch(10, T0)!
  t.same(store.loadPunches(batch), db.prepare('SELECT * FROM punches ORDER BY id').all())
})
