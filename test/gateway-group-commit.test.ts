/**
 * The group commit on a real SQLite file: many jobs in one transaction, dedup and conflicts, a failing job
 * isolated from its neighbours, a bounded queue.
 */
import t from 'tap'
import { join } from 'node:path'
import { openDatabase, schemaVersion } from '../gateway/store/db.js'
import { MIGRATIONS } from '../gateway/store/migrations.js'
import { PunchStore, type PunchRow } from '../gateway/store/punch-store.js'
import { GroupCommit, type CommitResult } from '../gateway/ingest/group-commit.js'
import type { Punch } from '../shared/punch.js'

const punch = (seq: number, over: Partial<Punch> = {}): Punch => ({ seq, ts: 1795309083120, emp: 'E1', kind: 'in', method: 'card', clock: 'synced', ...over })
const row = (device: string, p: Punch): PunchRow => ({ device, epoch: '9f2c41d0', tz: 480, punch: p, flags: '' })

t.test('group commit: one transaction for many jobs, dedup, conflicts, callbacks after commit', async t => {
  const db = openDatabase(join(t.testdir(), 'g.db'))
  t.teardown(() => db.close())
  t.equal(schemaVersion(db), MIGRATIONS.length, 'every migration applied')
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal')
  t.equal(db.pragma('synchronous', { simple: true }), 2, 'synchronous=FULL')
  let commits = 0
  const gc = new GroupCommit(db, new PunchStore(db), {}, () => { commits++ })
  const results: CommitResult[] = []
  const job = (rows: PunchRow[]): Promise<CommitResult> => new Promise((resolve, reject) => {
    gc.enqueue({ rows, received: Date.now(), done: (err, r) => { if (err != null) reject(err); else { results.push(r!); resolve(r!) } } })
  })
  const [a, b, c] = await Promise.all([
    job([row('A', punch(1)), row('A', punch(2))]),
    job([row('B', punch(1))]),
    job([row('A', punch(2)), row('A', punch(3))])
  ])
  t.equal(commits, 1, 'three jobs, one transaction')
  t.same(a, { stored: [1, 2], known: [], conflicts: [] })
  t.same(b, { stored: [1], known: [], conflicts: [] })
  t.same(c, { stored: [3], known: [2], conflicts: [] })
  const d = await job([row('A', punch(1, { emp: 'E2' })), row('A', punch(3))])
  t.same(d, { stored: [], known: [1, 3], conflicts: [1] }, 'a resend with other content is a conflict; the first copy wins')
  t.equal((db.prepare("SELECT emp FROM punches WHERE device='A' AND seq=1").get() as { emp: string }).emp, 'E1')
  t.equal((db.prepare('SELECT count(*) AS n FROM punches').get() as { n: number }).n, 4)
})

t.test('group commit: a failing job is isolated; its neighbours commit', async t => {
  const db = openDatabase(join(t.testdir(), 'g.db'))
  t.teardown(() => db.close())
  const gc = new GroupCommit(db, new PunchStore(db))
  const bad = row('A', punch(5))
  ;(bad.punch as unknown as Record<string, unknown>).emp = null // violates NOT NULL: the insert throws
  const outcomes = await Promise.all([
    new Promise(resolve => gc.enqueue({ rows: [row('A', punch(1))], received: 1, done: (err) => resolve(err === null ? 'ok' : 'err') })),
    new Promise(resolve => gc.enqueue({ rows: [bad], received: 1, done: (err) => resolve(err === null ? 'ok' : 'err') })),
    new Promise(resolve => gc.enqueue({ rows: [row('B', punch(1))], received: 1, done: (err) => resolve(err === null ? 'ok' : 'err') }))
  ])
  t.same(outcomes, ['ok', 'err', 'ok'])
  t.equal(gc.stats.fallbacks, 1)
  t.equal((db.prepare('SELECT count(*) AS n FROM punches').get() as { n: number }).n, 2)
})

t.test('group commit: the queue is bounded', async t => {
  const db = openDatabase(join(t.testdir(), 'g.db'))
  t.teardown(() => db.close())
  const gc = new GroupCommit(db, new PunchStore(db), { maxRows: 1000, maxQueuedRows: 3 })
  const errors: Array<Error | null> = []
  gc.enqueue({ rows: [row('A', punch(1)), row('A', punch(2))], received: 1, done: (e) => errors.push(e) })
  gc.enqueue({ rows: [row('A', punch(3)), row('A', punch(4))], received: 1, done: (e) => errors.push(e) })
  t.match(errors[0]?.message, /ingest queue full/)
  gc.flush()
  t.equal(errors[1], null)
})
