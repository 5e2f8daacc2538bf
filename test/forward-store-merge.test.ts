/**
 * ForwardStore.merge on a real SQLite file: only adjacent batches join (a delivered batch between two
 * refused ones is never swept in again), the whole stays within the size, punches past the cursor fill
 * what is left, and the merged batch has a new key and keeps the outage's backoff and start.
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { openDatabase } from '../gateway/store/db.js'
import { ForwardStore } from '../gateway/store/forward-store.js'
import { storePunches, T0 } from './fixtures/stored-punches.js'

function open (t: Test): { db: ReturnType<typeof openDatabase>, store: ForwardStore } {
  const db = openDatabase(join(t.testdir(), 'gw.db'))
  t.teardown(() => { if (db.open) db.close() })
  return { db, store: new ForwardStore(db) }
}

const seqs = (store: ForwardStore, key: string): number[] => store.loadPunches(store.get(key)!).map(p => p.seq)
const all = (): boolean => true

t.test('adjacent batches merge into one new batch within the size; a delivered batch between stops it', async t => {
  const { db, store } = open(t)
  storePunches(db, 'T-1', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  const a = store.formBatch(2, T0)!
  const b = store.formBatch(2, T0 + 1)!
  const c = store.formBatch(2, T0 + 2)!
  const d = store.formBatch(2, T0 + 3)!
  for (const x of [a, b, c, d]) store.retryLater(x.key, T0 + 10, 'HTTP 503')
  store.retryLater(b.key, T0 + 20, 'HTTP 503')
  store.complete(c.key)

  const m = store.merge(store.get(a.key)!, 100, all, T0 + 30)
  t.same(m.merged, [a.key, b.key], 'a and b join; d does not, c\'s delivered punches lie between')
  t.same(seqs(store, m.batch.key), [1, 2, 3, 4])
  t.not(m.batch.key, a.key, 'a new key')
  t.match(store.get(m.batch.key), { attempts: 2, nextAt: T0 + 30, created: T0 }, 'the most attempts, due now, created when the first was')
  t.equal(store.get(a.key), undefined)
  t.equal(store.get(b.key), undefined)
  t.same(seqs(store, d.key), [7, 8], 'd is untouched')
  t.equal(store.backlog().pendingPunches, 8, 'every pending punch still in the outbox once (1-4, 7-8, and 9-10 past the cursor)')
})

t.test('the size bounds a merge, joins() can refuse a batch, and the tail past the cursor fills what is left', async t => {
  const { db, store } = open(t)
  storePunches(db, 'T-1', [1, 2, 3, 4, 5, 6])
  const a = store.formBatch(2, T0)!
  const b = store.formBatch(2, T0)!
  store.retryLater(a.key, T0, 'x')
  store.retryLater(b.key, T0, 'x')
  t.same(store.merge(store.get(a.key)!, 3, all, T0).merged, [], 'a and b together are over the size')
  t.same(store.merge(store.get(a.key)!, 100, x => x.key !== b.key, T0).merged, [], 'b may not join')
  const m = store.merge(store.get(a.key)!, 5, all, T0)
  t.same(seqs(store, m.batch.key), [1, 2, 3, 4, 5], 'a, b and one punch past the cursor')
  t.equal(store.cursor(), m.batch.lastId, 'the cursor moved past the punch taken')
  t.same(store.waiting(100).count, 1, 'the last punch still waits for a batch')
})
