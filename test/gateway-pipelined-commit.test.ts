/**
 * The pipelined group commit (gateway/ingest/pipelined-commit.ts) on a real SQLite file with its real
 * thread: the answers of the in-process group commit, in the order the jobs came; the event loop free
 * while a group is written; the bound counting rows being committed; a failing job isolated; a thread
 * that dies answering nothing and a new one taking the next group; the rules' flags identical to the
 * in-process path's.
 */
import t, { type Test } from 'tap'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { openDatabase, type Db } from '../gateway/store/db.js'
import { backupInThread } from '../gateway/store/backup-thread.js'
import { backupDatabase } from '../gateway/store/backup.js'
import { PunchStore, type PunchRow } from '../gateway/store/punch-store.js'
import { RosterStore } from '../gateway/store/roster-store.js'
import { GroupCommit, QueueFull, type CommitResult, type Committer } from '../gateway/ingest/group-commit.js'
import { COMMIT_THREAD_YOUNG_GENERATION_MB, PipelinedCommit, THREAD_RESTART_MS } from '../gateway/ingest/pipelined-commit.js'
import { Flagger } from '../gateway/rules/flagger.js'
import { Roster } from '../gateway/rules/roster.js'
import { SiteMap, type SiteConfig } from '../gateway/rules/sites.js'
import { DeviceClocks } from '../gateway/rules/device-clocks.js'
import { PunchHistory } from '../gateway/rules/history.js'
import { DEFAULT_RULES, type RulesConfig } from '../gateway/rules/rules.js'
import { decodeJob, encodeJob } from '../gateway/ingest/commit-wire.js'
import type { FlagInputs } from '../gateway/rules/flagger.js'
import type { Punch } from '../shared/punch.js'
import type { DeviceStatus } from '../shared/codec/status.js'

const T0 = Date.parse('2026-11-22T00:58:03.120Z')
const punch = (seq: number, over: Partial<Punch> = {}): Punch => ({ seq, ts: T0 + seq * 1000, emp: 'E1', kind: 'in', method: 'card', clock: 'synced', ...over })
const row = (device: string, p: Punch): PunchRow => ({ device, epoch: '9f2c41d0', tz: 480, punch: p, flags: '' })
const rowsOf = (device: string, from: number, n: number): PunchRow[] => Array.from({ length: n }, (_, i) => row(device, punch(from + i)))

function database (t: Test, name = 'p.db'): { db: Db, file: string } {
  const file = join(t.testdir(), name)
  const db = openDatabase(file)
  t.teardown(() => db.close())
  return { db, file }
}

async function pipelined (t: Test, file: string, o: Partial<Parameters<typeof PipelinedCommit.start>[0]> = {}): Promise<PipelinedCommit> {
  const c = await PipelinedCommit.start({ thread: { file, busyTimeoutMs: 5000, maxRows: 20_000 }, maxQueuedRows: 200_000, ...o })
  t.teardown(async () => { c.discard(); await c.close() })
  return c
}

type Answer = { err: Error | null, result?: CommitResult }
function submit (c: Committer, rows: PunchRow[], order?: string[], name?: string): Promise<Answer> {
  return new Promise(resolve => c.enqueue({
    rows,
    received: T0 + 3_600_000,
    done: (err, result) => { if (name !== undefined) order?.push(name); resolve({ err, result }) }
  }))
}

const count = (db: Db): number => (db.prepare('SELECT count(*) AS n FROM punches').get() as { n: number }).n

t.test('answers like the in-process commit, in the order the jobs came, after the rows are on disk', async t => {
  const { db, file } = database(t)
  let commits = 0
  const c = await pipelined(t, file, { onCommit: () => { commits++ } })
  const order: string[] = []
  const [a, b, cc] = await Promise.all([
    submit(c, [row('A', punch(1)), row('A', punch(2))], order, 'a'),
    submit(c, [row('B', punch(1))], order, 'b'),
    submit(c, [row('A', punch(2)), row('A', punch(3))], order, 'c')
  ])
  t.same([a.result, b.result, cc.result], [
    { stored: [1, 2], known: [], conflicts: [] },
    { stored: [1], known: [], conflicts: [] },
    { stored: [3], known: [2], conflicts: [] }
  ])
  t.same(order, ['a', 'b', 'c'], 'callbacks in the order the jobs were enqueued')
  t.equal(commits, 1, 'jobs of one turn share one transaction')
  t.equal(count(db), 4, 'the rows are visible to the event loop\'s own connection once answered')
  const d = await submit(c, [row('A', punch(1, { emp: 'E2' }))])
  t.same(d.result, { stored: [], known: [1], conflicts: [1] }, 'a resend with other content is a conflict; the stored copy wins')
  await c.settle()
  t.equal(c.stats.queuedRows, 0)
})

t.test('the event loop turns while a group is written, and the next group goes over before the last is answered', async t => {
  const { db, file } = database(t)
  const c = await pipelined(t, file)
  const order: string[] = []
  const first = submit(c, rowsOf('BIG', 1, 20_000), order, 'first')
  c.flush()
  await new Promise<void>(resolve => setImmediate(resolve))
  order.push('a turn of the loop')
  const second = submit(c, rowsOf('BIG', 20_001, 10), order, 'second')
  c.flush()
  t.equal(c.stats.queuedRows, 20_010, 'both groups counted while the thread has them')
  await Promise.all([first, second])
  t.same(order, ['a turn of the loop', 'first', 'second'], 'the loop was free during the commit; answers in order')
  t.equal(count(db), 20_010)
})

t.test('the bound counts rows being committed too: past it a job fails at once', async t => {
  const { file } = database(t)
  const c = await pipelined(t, file, { maxQueuedRows: 1000 })
  const big = submit(c, rowsOf('A', 1, 900))
  c.flush()
  const over = await submit(c, rowsOf('A', 901, 200))
  t.ok(over.err instanceof QueueFull, 'refused while the first group is in the thread')
  t.match(over.err?.message, /ingest queue full \(900 rows/)
  t.equal((await big).err, null)
  t.equal((await submit(c, rowsOf('A', 901, 200))).err, null, 'accepted once the first group is answered')
})

t.test('a loop two full groups ahead of the disk waits for the thread: what it holds stays bounded', async t => {
  const { db, file } = database(t)
  const c = await pipelined(t, file, { thread: { file, busyTimeoutMs: 5000, maxRows: 100 } })
  const order: string[] = []
  const answers: Array<Promise<Answer>> = []
  let most = 0
  // One turn of the loop handing over 40 batches of 100, as a socket read full of publishes would.
  for (let i = 0; i < 40; i++) {
    answers.push(submit(c, rowsOf('H', 1 + i * 100, 100), order, String(i)))
    most = Math.max(most, c.stats.queuedRows)
  }
  // Before: the loop read on while the thread wrote, and held all 4,000 rows at once.
  t.ok(most <= 300, `at most two groups with the thread and one more queued (held ${most} rows at most)`)
  t.ok(order.length > 0, 'answers were taken within the turn')
  const all = await Promise.all(answers)
  t.ok(all.every(a => a.err === null), 'every job committed')
  t.same(order, Array.from({ length: 40 }, (_, i) => String(i)), 'in the order they came')
  t.equal(count(db), 4000)
})

t.test('a failing job is isolated; its neighbours commit; the error crosses with its message', async t => {
  const { db, file } = database(t)
  const c = await pipelined(t, file)
  const bad = row('A', punch(5))
  ;(bad.punch as unknown as Record<string, unknown>).emp = null // violates NOT NULL: the insert throws
  const answers = await Promise.all([submit(c, [row('A', punch(1))]), submit(c, [bad]), submit(c, [row('B', punch(1))])])
  t.same(answers.map(a => a.err === null ? 'ok' : 'err'), ['ok', 'err', 'ok'])
  t.match(answers[1].err?.message, /neither stored nor found/)
  t.equal(c.stats.fallbacks, 1)
  t.equal(count(db), 2)
})

t.test('a thread that dies answers nothing; the jobs fail; a new thread takes the next group', async t => {
  const { db, file } = database(t)
  const lost: Error[] = []
  const c = await pipelined(t, file, { onThreadLost: (err) => lost.push(err) })
  const held = submit(c, rowsOf('K', 1, 20_000))
  c.flush()
  await c.killThread()
  const answer = await held
  t.ok(answer.err !== null && answer.result === undefined, 'no result for a job the thread held: not acknowledged')
  t.equal(lost.length, 1, 'the loss is reported once')
  const soon = await submit(c, rowsOf('K', 30_001, 5))
  t.match(soon.err?.message, /restarting/, 'right after the loss, jobs fail at once (a crash loop stays slow)')
  await sleep(THREAD_RESTART_MS + 100)
  const later = await submit(c, rowsOf('K', 30_001, 5))
  t.equal(later.err, null, 'a new thread commits the next group')
  t.equal(c.threadsStarted, 2)
  const stored = count(db)
  t.ok(stored === 5 || stored === 20_005, `the killed transaction is all or nothing (${stored} rows)`)
})

t.test('discard drops what the thread holds without answering; close ends the thread', async t => {
  const { file } = database(t)
  const c = await pipelined(t, file)
  let answered = 0
  c.enqueue({ rows: rowsOf('A', 1, 5000), received: T0, done: () => { answered++ } })
  c.flush()
  c.enqueue({ rows: rowsOf('A', 5001, 10), received: T0, done: () => { answered++ } })
  t.equal(c.discard(), 5010, 'queued and in-flight rows are dropped')
  await c.close()
  await sleep(50)
  t.equal(answered, 0, 'nobody is told')
})

t.test('rows and the rules\' inputs cross to the thread and back unchanged', async t => {
  const rows: PunchRow[] = [
    row('A', punch(1)),
    { device: 'B', epoch: '00000001', tz: undefined, punch: punch(2, { loc: { lat: 31.2, lon: -121.5, acc: 0 }, manual: { reason: 'forgot' }, method: 'manual', up: 0 }), flags: '' },
    { device: 'C', epoch: 'ffffffff', tz: -720, punch: punch(3, { emp: '', clock: 'unsynced', up: 123456 }), flags: '' }
  ]
  const inputs: FlagInputs[] = [
    { badge: { configured: false }, jump: undefined },
    { badge: { configured: true }, jump: { byMs: -3_600_000, at: T0 } },
    { badge: { configured: true, employee: 'EMP-7' }, jump: { byMs: 0, at: 0 } }
  ]
  const wire = encodeJob(rows, T0, (r) => inputs[rows.indexOf(r)])
  const back = decodeJob(structuredClone(wire))
  t.same(back, { rows, received: T0, inputs }, 'every field, absent ones absent')
  t.same(decodeJob(structuredClone(encodeJob(rows, 7))), { rows, received: 7 }, 'without the rules')
  // A value outside the contract's lists (decodeBatch never lets one through) still crosses as it was.
  const odd: PunchRow[] = [row('A', punch(4, { kind: 'lunch' as never, method: 'iris' as never, clock: 'gps' as never, emp: 'A' }))]
  t.same(decodeJob(structuredClone(encodeJob(odd, 8))).rows, odd, 'a kind, method and clock outside the lists')
})

const SITES: Record<string, SiteConfig> = {
  hq: { devices: ['T-*'], geofences: [{ lat: 31.2304, lon: 121.4737, radiusM: 200 }] }
}

interface Sides { inline: Committer, threaded: Committer, dbs: Db[] }

async function bothSides (t: Test, rules: RulesConfig, statuses: Record<string, DeviceStatus>): Promise<Sides> {
  const dbs: Db[] = []
  const flaggerOf = (db: Db): Flagger => {
    const roster = new RosterStore(db)
    roster.put([
      { scope: 'device:T-1', badge: 'CARD-7', employee: 'EMP-7', name: null },
      { scope: 'device:T-1', badge: 'FP-7', employee: 'EMP-7', name: null }
    ], T0)
    return new Flagger({ rules, sites: new SiteMap(SITES), roster: new Roster(roster, { checkEveryMs: 0 }), clocks: new DeviceClocks(id => statuses[id]), history: new PunchHistory(db) })
  }
  const a = database(t, 'inline.db')
  const fa = flaggerOf(a.db)
  const inline = new GroupCommit(a.db, new PunchStore(a.db), { flag: (r, received) => fa.flag(r, received) })
  const b = database(t, 'threaded.db')
  const fb = flaggerOf(b.db)
  const threaded = await pipelined(t, b.file, { thread: { file: b.file, busyTimeoutMs: 5000, maxRows: 20_000, rules: { config: rules, sites: SITES } }, inputs: (r) => fb.inputs(r) })
  dbs.push(a.db, b.db)
  return { inline, threaded, dbs }
}

t.test('the rules flag the same on the thread as in the event loop, across and within commits', async t => {
  const rules = { ...DEFAULT_RULES, manualMonthlyLimit: 1 }
  const statuses: Record<string, DeviceStatus> = { 'T-2': { v: 1, clock: { synced: true, lastJumpMs: 3_600_000, lastJumpAt: T0 + 50_000 } } as unknown as DeviceStatus }
  const { inline, threaded, dbs } = await bothSides(t, rules, statuses)
  let seq = 0
  const p = (over: Partial<Punch>): Punch => ({ seq: ++seq, ts: T0, emp: 'E1', kind: 'in', method: 'card', clock: 'synced', ...over })
  const far = { lat: 39.9042, lon: 116.4074, acc: 10 }
  const near = { lat: 31.2304, lon: 121.4737, acc: 10 }
  // Groups as they would come in: several per turn, some waiting while the thread writes the last.
  const turns: Array<Array<[string, Punch[]]>> = [
    [['T-1', [p({ emp: 'CARD-7', ts: T0 }), p({ emp: 'FP-7', ts: T0 + 5000, method: 'fingerprint' })]], ['T-2', [p({ ts: T0 + 10_000 })]]],
    [['T-1', [p({ emp: 'CARD-7', ts: T0 + 20_000, loc: near })]], ['T-1', [p({ emp: 'CARD-7', ts: T0 + 30_000, loc: far })]]],
    [['T-1', [p({ emp: 'UNKNOWN', ts: T0 + 40_000 }), p({ method: 'manual', manual: { reason: 'forgot' }, ts: T0 + 60_000 })]]],
    [['T-1', [p({ method: 'manual', manual: { reason: 'forgot' }, ts: T0 + 120_000 })]], ['X-1', [p({ ts: T0 - 80 * 3_600_000, clock: 'unsynced' })]]],
    [['T-2', [p({ ts: T0 + 100_000 }), p({ ts: T0 + 100_500 })]], ['T-1', [p({ emp: 'CARD-7', ts: T0 - 2000 })]]]
  ]
  for (const side of [inline, threaded]) {
    for (const turn of turns) {
      const answers = turn.map(([device, punches]) => submit(side, punches.map(x => row(device, { ...x }))))
      if (side === threaded) (side as PipelinedCommit).flush()
      else await Promise.all(answers)
    }
    await side.settle()
  }
  const flags = (db: Db): unknown[] => db.prepare('SELECT device, seq, flags, person FROM punches ORDER BY device, seq').all()
  const [a, b] = dbs.map(flags)
  t.same(b, a, 'every row\'s flags and person are the same')
  const all = (a as Array<{ flags: string }>).map(r => r.flags).join(',')
  for (const f of ['double', 'gps-jump', 'outside-geofence', 'unknown-badge', 'manual', 'over-limit', 'expired', 'clock-unsynced', 'clock-skew']) {
    t.ok(all.includes(f), `the run exercises ${f}`)
  }
})

t.test('an online backup completes while the thread commits without a pause, on a thread of its own', async t => {
  const mode = process.env.PUNCHLINE_TEST_BACKUP_IN_STEPS === undefined ? 'thread' : 'steps'
  const { db, file } = database(t)
  const c = await pipelined(t, file)
  // A file of some thousands of pages, so that a copy in steps takes longer than a commit.
  const store = new PunchStore(db)
  store.write(() => { for (const r of rowsOf('OLD', 1, 300_000)) store.insert(r, T0) })
  let writing = true
  let next = 1
  let commits = 0
  const load = (async () => {
    while (writing) {
      await submit(c, rowsOf('NEW', next, 5))
      next += 5
      commits++
    }
  })()
  // Before: the gateway copied in steps on the event loop's connection, and SQLite started the copy again
  // after every commit of the thread's connection: still copying after 60 s beside 23,937 commits.
  const before = commits
  const started = Date.now()
  // Beside the database: a second t.testdir() would empty the directory under the open file.
  const backup = mode === 'steps' ? backupDatabase(db, join(dirname(file), 'backups'), 2) : backupInThread(file, join(dirname(file), 'backups'), 2, Date.now())
  const verdict = await Promise.race([backup.then(() => 'done'), sleep(60_000, undefined, { ref: false }).then(() => 'still copying after 60 s')])
  t.equal(verdict, 'done', `the backup ended (${Date.now() - started} ms, ${commits - before} commits beside it)`)
  const info = await backup
  const copy = openDatabase(info.path)
  const copied = count(copy)
  copy.close()
  t.ok(copied >= 300_000 + 5 * before, `the copy holds what was stored when it began (${copied} rows)`)
  t.equal((copied - 300_000) % 5, 0, 'a snapshot holds whole commits, never part of one')
  writing = false
  await load
  t.ok(commits > 0, 'the thread committed while the backup ran')
})

t.test('the thread runs with its young generation bounded, a new thread too', async t => {
  const { file } = database(t)
  const c = await pipelined(t, file)
  t.equal(c.threadLimits?.maxYoungGenerationSizeMb, COMMIT_THREAD_YOUNG_GENERATION_MB)
  await c.killThread()
  await sleep(THREAD_RESTART_MS + 100)
  await submit(c, [row('A', punch(1))])
  t.equal(c.threadLimits?.maxYoungGenerationSizeMb, COMMIT_THREAD_YOUNG_GENERATION_MB, 'the thread started after a loss')
})
