/**
 * Retention on real SQLite files: only delivered punches older than the cutoff go; punches past the
 * cursor, inside an outbox batch, or in dead letters (refused, parked, replayed) stay; deletes run in
 * chunks that let a group commit through; freed pages count as room, and an INCREMENTAL file shrinks.
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { openDatabase, type Db } from '../gateway/store/db.js'
import { ForwardStore } from '../gateway/store/forward-store.js'
import { PunchStore } from '../gateway/store/punch-store.js'
import { GroupCommit } from '../gateway/ingest/group-commit.js'
import { DAY_MS, Retention } from '../gateway/store/retention.js'
import { measureStorage } from '../gateway/store/storage-usage.js'
import { storePunches } from './fixtures/stored-punches.js'

const NOW = Date.parse('2026-11-23T10:00:00.000Z')
const OLD = NOW - 10 * DAY_MS
const RECENT = NOW - 1 * DAY_MS
const NO_LIMITS = { maxDbBytes: 0, minFreeBytes: 0 }

function open (t: Test, file = join(t.testdir(), 'gw.db')): { db: Db, store: ForwardStore, file: string } {
  const db = openDatabase(file)
  t.teardown(() => { if (db.open) db.close() })
  return { db, store: new ForwardStore(db), file }
}

const seqsOf = (db: Db): number[] => (db.prepare('SELECT seq FROM punches ORDER BY seq').all() as Array<{ seq: number }>).map(r => r.seq)
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i)

/** The states a punch can be in, each held by a few old punches (seq = id here: one device, one epoch). */
function everyState (db: Db, store: ForwardStore): void {
  storePunches(db, 'T-1', range(1, 30), {}, OLD)
  store.complete(store.formBatch(30, OLD)!.key) // 1-30: delivered

  storePunches(db, 'T-1', range(31, 40), {}, OLD)
  const retrying = store.formBatch(10, OLD)!
  store.retryLater(retrying.key, NOW, 'HTTP 503') // 31-40: in a batch the upstream keeps refusing

  storePunches(db, 'T-1', [41, 42, 43], {}, OLD)
  store.deadLetter(store.formBatch(1, OLD)!.key, 422, 'bad record', OLD) // 41: refused, waiting for an operator
  store.deadLetter(store.formBatch(1, OLD)!.key, 422, 'bad record', OLD) // 42: refused, then replayed and delivered
  store.replayDeadLetters([42], OLD)
  for (const b of store.dueBatches(NOW, 10, new Set())) if (b.firstId === 42) store.complete(b.key)
  const held = store.formBatch(1, OLD)!
  store.park([43], 'unknown-badge', OLD) // 43: parked for a roster mapping; its batch went out without it
  store.complete(held.key)

  storePunches(db, 'T-1', range(44, 53), {}, RECENT)
  store.complete(store.formBatch(10, RECENT)!.key) // 44-53: delivered, but younger than the cutoff

  storePunches(db, 'T-1', range(54, 58), {}, OLD) // 54-58: past the cursor, in no batch yet
}

t.test('purges delivered old punches only; pending, batched and dead-lettered ones stay', async t => {
  const { db, store } = open(t)
  everyState(db, store)
  const before = store.backlog()
  const r = await new Retention(db).purge(7, NOW, { chunkRows: 7 })
  t.equal(r.purged, 30, 'the 30 old delivered punches')
  t.equal(r.chunks, 5, '7 + 7 + 7 + 7 + 2 rows, one transaction each')
  t.equal(r.cutoff, NOW - 7 * DAY_MS)
  t.same(seqsOf(db), range(31, 58), 'every other state is kept')
  t.same(store.backlog(), before, 'the outbox sees the same backlog and dead letters')
  const retrying = store.dueBatches(NOW, 10, new Set()).find(b => b.firstId === 31)!
  t.same(store.loadPunches(retrying).map(p => p.seq), range(31, 40), 'the retrying batch still loads all its punches')
  t.equal((await new Retention(db).purge(7, NOW)).purged, 0, 'a second run finds nothing more')
})

t.test('deliveredDays 0 keeps everything', async t => {
  const { db, store } = open(t)
  everyState(db, store)
  t.same(await new Retention(db).purge(0, NOW), { purged: 0, chunks: 0, cutoff: NOW, vacuumedPages: 0 })
  t.equal(seqsOf(db).length, 58)
})

t.test('a cutoff between two deliveries purges only the older one', async t => {
  const { db, store } = open(t)
  everyState(db, store)
  const r = await new Retention(db).purge(0.5, NOW)
  t.equal(r.purged, 40, 'now the 10 recent delivered punches are old enough too')
  t.same(seqsOf(db), [...range(31, 43), ...range(54, 58)])
})

t.test('chunks leave the event loop free: a commit queued during a purge lands before it ends', async t => {
  const { db, store } = open(t)
  storePunches(db, 'T-1', range(1, 2000), {}, OLD)
  store.complete(store.formBatch(2000, OLD)!.key)
  const commit = new GroupCommit(db, new PunchStore(db))
  const purging = new Retention(db).purge(7, NOW, { chunkRows: 100 })
  let oldLeftAtCommit = -1
  commit.enqueue({
    rows: [{ device: 'T-2', epoch: '9f2c41d0', tz: 480, punch: { seq: 1, ts: NOW, emp: 'E1', kind: 'in', method: 'card', clock: 'synced' }, flags: '' }],
    received: NOW,
    done: (err) => {
      t.error(err)
      oldLeftAtCommit = (db.prepare("SELECT count(*) AS n FROM punches WHERE device = 'T-1'").get() as { n: number }).n
    }
  })
  const r = await purging
  t.equal(r.purged, 2000)
  t.equal(r.chunks, 20)
  t.ok(oldLeftAtCommit > 0, `the commit ran while ${oldLeftAtCommit} old punches were still waiting to be purged`)
  t.same(db.prepare('SELECT device, seq FROM punches').all(), [{ device: 'T-2', seq: 1 }], 'and its fresh punch is kept')
})

t.test('a stop between chunks ends the purge there', async t => {
  const { db, store } = open(t)
  storePunches(db, 'T-1', range(1, 50), {}, OLD)
  store.complete(store.formBatch(50, OLD)!.key)
  let checks = 0
  const r = await new Retention(db).purge(7, NOW, { chunkRows: 10, stopped: () => ++checks > 2 })
  t.equal(r.purged, 20, 'two chunks, then it noticed')
  t.equal(seqsOf(db).length, 30)
})

t.test('without auto_vacuum freed pages stay in the file and count as room; INCREMENTAL gives them back', async t => {
  const dir = t.testdir()
  const fill = (db: Db, store: ForwardStore): void => {
    storePunches(db, 'T-1', range(1, 20_000), {}, OLD)
    store.complete(store.formBatch(20_000, OLD)!.key)
  }

  const plain = open(t, join(dir, 'plain.db'))
  t.equal(plain.db.pragma('auto_vacuum', { simple: true }), 0, 'db.ts leaves auto_vacuum off')
  fill(plain.db, plain.store)
  const full = measureStorage(plain.db, plain.file, NO_LIMITS)
  const r1 = await new Retention(plain.db).purge(7, NOW)
  const after = measureStorage(plain.db, plain.file, NO_LIMITS)
  t.equal(r1.vacuumedPages, 0)
  t.equal(after.fileBytes, full.fileBytes, 'the file keeps its length')
  t.ok(after.freePageBytes > full.fileBytes / 2, 'most of it is free pages now')
  t.ok(after.usedBytes - after.walBytes < (full.usedBytes - full.walBytes) / 2, 'and the budget counts them as room')

  // auto_vacuum must be chosen before the first table exists (or set later with a full VACUUM, offline).
  const incFile = join(dir, 'incremental.db')
  const raw = new Database(incFile)
  raw.pragma('auto_vacuum = INCREMENTAL')
  raw.close()
  const inc = open(t, incFile)
  fill(inc.db, inc.store)
  const pagesBefore = inc.db.pragma('page_count', { simple: true }) as number
  const r2 = await new Retention(inc.db).purge(7, NOW)
  t.equal(r2.purged, 20_000)
  t.ok(r2.vacuumedPages > 0, `${r2.vacuumedPages} pages given back`)
  t.equal(inc.db.pragma('freelist_count', { simple: true }), 0, 'nothing left on the freelist')
  t.ok((inc.db.pragma('page_count', { simple: true }) as number) < pagesBefore / 2, 'the file shrank')
})
