/**
 * The in-memory window of the newest stored punches (gateway/store/recent-punches.ts) and its use by the
 * outbox: what it answers is exactly what SQLite would, it is fed only by committed transactions, and any
 * doubt (a row written or purged behind its back, a range older than it holds) sends the read to SQLite.
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { openDatabase } from '../gateway/store/db.js'
import { ForwardStore } from '../gateway/store/forward-store.js'
import { PunchStore, type PunchRow, type StoredPunch } from '../gateway/store/punch-store.js'
import { RecentPunches } from '../gateway/store/recent-punches.js'
import { GroupCommit, type CommitResult } from '../gateway/ingest/group-commit.js'
import { storePunches, T0 } from './fixtures/stored-punches.js'

const row = (id: number): StoredPunch => ({
  id, device: 'T-1', epoch: 'e', seq: id, ts: T0, tz: null, emp: 'E1', kind: 'in', method: 'card', clock: 'synced',
  lat: null, lon: null, acc: null, manual: null, flags: '', received: T0, up: null, person: null
})
const ids = (rows: StoredPunch[] | undefined): number[] | undefined => rows?.map(r => r.id)

t.test('the window answers only ranges it holds whole, and keeps the newest `capacity` rows', async t => {
  const w = new RecentPunches(5)
  t.equal(w.range(1, 1), undefined, 'empty: nothing is answered')
  w.add([row(10), row(11), row(13)])
  t.same(ids(w.range(10, 13)), [10, 11, 13], 'a gap in the ids is just a gap')
  t.same(ids(w.range(12, 13)), [13])
  t.equal(w.range(9, 11), undefined, 'starts before the first row added: rows stored earlier may exist')
  t.equal(w.range(12, 14), undefined, 'ends past the newest row: rows may be on their way')
  w.add([row(14), row(15), row(16)])
  t.equal(w.size, 5)
  t.equal(w.range(10, 12), undefined, 'row 10 was dropped for capacity')
  t.same(ids(w.range(11, 16)), [11, 13, 14, 15, 16])
  for (let id = 17; id < 100; id++) w.add([row(id)])
  t.same(ids(w.range(95, 99)), [95, 96, 97, 98, 99], 'compaction keeps the order')
  t.equal(w.size, 5)
  w.add([row(50)])
  t.equal(w.range(95, 99), undefined, 'an id out of order starts the window again')
  t.same(ids(w.range(50, 50)), [50])
  t.throws(() => new RecentPunches(0))
})

function setup (t: Test): { db: ReturnType<typeof openDatabase>, forward: ForwardStore, commit: GroupCommit } {
  const db = openDatabase(join(t.testdir(), 'gw.db'))
  t.teardown(() => db.close())
  const forward = new ForwardStore(db, { recentPunches: 1000 })
  const commit = new GroupCommit(db, new PunchStore(db), { stored: rows => forward.recent?.add(rows) })
  return { db, forward, commit }
}

function punchRow (seq: number, extra: Partial<PunchRow> = {}): PunchRow {
  return { device: 'T-1', epoch: '9f2c41d0', tz: 480, punch: { seq, ts: T0 + seq, emp: 'E' + String(seq), kind: 'in', method: 'card', clock: 'synced', loc: { lat: 1.25, lon: 2.5, acc: 8 }, up: 77 }, flags: 'late-sync', person: 'P-1', ...extra }
}

async function commitRows (commit: GroupCommit, rows: PunchRow[]): Promise<CommitResult | Error> {
  return await new Promise(resolve => {
    commit.enqueue({ rows, received: T0 + 5000, done: (err, r) => resolve(err ?? r!) })
    commit.flush()
  })
}

t.test('committed rows are sent from memory, exactly as SQLite holds them', async t => {
  const { db, forward, commit } = setup(t)
  await commitRows(commit, [1, 2, 3].map(s => punchRow(s)))
  await commitRows(commit, [4, 5].map(s => punchRow(s, { tz: undefined, flags: '' })))
  const batch = forward.formBatch(10, T0)!
  t.same(forward.loadPunches(batch), db.prepare('SELECT * FROM punches ORDER BY id').all())
  t.same(forward.loaded, { memory: 5, database: 0 })
})

t.test('a transaction that fails leaves nothing in the window', async t => {
  const { forward, commit } = setup(t)
  const bad = punchRow(2)
  ;(bad.punch as { emp: unknown }).emp = null // NOT NULL: the insert is ignored, and differs() finds no stored copy
  const [good, failed] = await Promise.all([commitRows(commit, [punchRow(1)]), commitRows(commit, [bad])])
  t.notOk(good instanceof Error)
  t.ok(failed instanceof Error, 'the bad job fails on its own')
  t.equal(forward.recent?.size, 1, 'only the committed row is kept')
})

t.test('rows written or purged behind the window send the read to SQLite', async t => {
  const { db, forward, commit } = setup(t)
  await commitRows(commit, [1, 2].map(s => punchRow(s)))
  storePunches(db, 'OTHER', [7]) // a writer that is not the group commit
  await commitRows(commit, [3].map(s => punchRow(s)))
  const batch = forward.formBatch(10, T0)!
  const loaded = forward.loadPunches(batch)
  t.same(loaded.map(p => p.device), ['T-1', 'T-1', 'OTHER', 'T-1'], 'the foreign row is there, read from SQLite')
  t.same(forward.loaded, { memory: 0, database: 4 })
  await commitRows(commit, [4, 5].map(s => punchRow(s)))
  const next = forward.formBatch(10, T0)!
  db.prepare('DELETE FROM punches WHERE seq = 4 AND device = ?').run('T-1')
  t.same(forward.loadPunches(next).map(p => p.seq), [5], 'the purged row is not sent from memory')
  t.same(forward.loaded, { memory: 0, database: 5 })
})
