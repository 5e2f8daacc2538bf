/**
 * PunchStore.write files what new punches add beside themselves, once per transaction (migration 10 dropped
 * the insert triggers that did it row by row): each new punch's row in the pending set, the set's total, and
 * an open review for a punch whose flags ask for one. On real SQLite files; the references are full reads.
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { openDatabase, type Db } from '../gateway/store/db.js'
import { MIGRATIONS } from '../gateway/store/migrations.js'
import { PunchStore, type PunchRow } from '../gateway/store/punch-store.js'
import { T0 } from './fixtures/stored-punches.js'

function row (device: string, seq: number, flags = '', sourceId?: string): PunchRow {
  const r: PunchRow = { device, epoch: '9f2c41d0', tz: 480, flags, punch: { seq, ts: T0 + seq * 1000, emp: 'E1', kind: 'in', method: 'card', clock: 'synced' } }
  if (sourceId !== undefined) r.sourceId = sourceId
  return r
}

function filed (db: Db): { pending: number[], total: number, reviews: Array<[number, string]> } {
  return {
    pending: db.prepare('SELECT id FROM pending ORDER BY id').pluck().all() as number[],
    total: db.prepare('SELECT n FROM pending_total').pluck().get() as number,
    reviews: (db.prepare('SELECT punch_id, upstream_id FROM reviews ORDER BY punch_id').raw().all() as Array<[number, string]>)
  }
}

function open (t: Test): Db {
  const db = openDatabase(join(t.testdir(), 'w.db'))
  t.teardown(() => db.close())
  return db
}

t.test('new punches are filed pending, counted, and reviewed when flagged; a resend files nothing', async t => {
  const db = open(t)
  const store = new PunchStore(db)
  const ids = store.write(() => [
    store.insert(row('A', 1), T0),
    store.insert(row('A', 2, 'late-sync'), T0),
    store.insert(row('A', 3, 'double'), T0),
    store.insert(row('ZK', 4, 'manual,gps-jump', 'ZK:7:x'), T0)
  ])
  t.same(ids, [1, 2, 3, 4], 'each insert gives its new id')
  t.same(filed(db), { pending: [1, 2, 3, 4], total: 4, reviews: [[2, 'A:9f2c41d0:2'], [4, 'ZK:7:x']] },
    'every new punch pending; a review for the late one and the GPS jump only, under the id it goes upstream by')
  const [known, fifth] = store.write(() => [store.insert(row('A', 2, 'late-sync'), T0 + 5), store.insert(row('A', 5), T0 + 5)])
  t.equal(known, 0, 'the resent punch is known (0)')
  t.ok(fifth > 4, 'the new one stored (an ignored insert may use up an id: AUTOINCREMENT)')
  t.same(filed(db), { pending: [1, 2, 3, 4, fifth], total: 5, reviews: [[2, 'A:9f2c41d0:2'], [4, 'ZK:7:x']] }, 'only the new one is filed')
})

t.test('a write inside the caller\'s transaction files at its end; a failed one files and stores nothing', async t => {
  const db = open(t)
  const store = new PunchStore(db)
  db.transaction(() => {
    store.write(() => { store.insert(row('B', 1), T0) })
    store.write(() => { store.insert(row('B', 2, 'future'), T0) })
  })()
  t.same(filed(db), { pending: [1, 2], total: 2, reviews: [[2, 'B:9f2c41d0:2']] })
  t.throws(() => db.transaction(() => store.write(() => {
    store.insert(row('B', 3, 'expired'), T0)
    throw new Error('the caller gave up')
  }))(), /the caller gave up/)
  t.same(filed(db), { pending: [1, 2], total: 2, reviews: [[2, 'B:9f2c41d0:2']] }, 'rolled back whole')
  t.equal(db.prepare('SELECT count(*) FROM punches').pluck().get(), 2)
  // A write nested in a write (a caller's helper that writes itself) files once, at the outer end.
  store.write(() => { store.write(() => { store.insert(row('B', 4), T0) }); store.insert(row('B', 5), T0) })
  t.same(filed(db).pending, db.prepare('SELECT id FROM punches ORDER BY id').pluck().all(), 'each punch pending once')
  t.equal(filed(db).total, 4)
})

t.test('an insert outside write is refused, so no punch can go unfiled', async t => {
  const db = open(t)
  const store = new PunchStore(db)
  t.throws(() => db.transaction(() => store.insert(row('C', 1), T0))(), /runs inside PunchStore.write/)
  t.equal(db.prepare('SELECT count(*) FROM punches').pluck().get(), 0)
})

t.test('a file from before migration 10 keeps what its triggers filed and loses the triggers', async t => {
  const file = join(t.testdir(), 'nine.db')
  const raw = new Database(file)
  for (let v = 0; v < 9; v++) raw.exec(MIGRATIONS[v])
  raw.pragma('user_version = 9')
  const insert = raw.prepare(`INSERT INTO punches (device, epoch, seq, ts, emp, kind, method, clock, flags, received)
    VALUES ('D', '9f2c41d0', ?, ?, 'E1', 'in', 'card', 'synced', ?, ?)`)
  insert.run(1, T0, '', T0)
  insert.run(2, T0, 'clock-skew', T0)
  raw.close()
  const db = openDatabase(file)
  t.teardown(() => db.close())
  t.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length, 'migrated')
  const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name IN ('punches_pending', 'pending_added', 'punches_review')").pluck().all()
  t.same(triggers, [], 'the insert triggers are gone')
  t.same(filed(db), { pending: [1, 2], total: 2, reviews: [[2, 'D:9f2c41d0:2']] }, 'what they filed is kept')
  const store = new PunchStore(db)
  store.write(() => { store.insert(row('D', 3, 'gps-jump'), T0) })
  t.same(filed(db), { pending: [1, 2, 3], total: 3, reviews: [[2, 'D:9f2c41d0:2'], [3, 'D:9f2c41d0:3']] }, 'and new punches are filed by write')
})
