/**
 * The WAL's checkpoints off the commit thread (gateway/ingest/checkpointer.ts, checkpoint-worker.ts) on
 * real SQLite files with the real threads: the checkpointer copies what the commit thread commits and
 * the WAL stays bounded under continuous ingest; with the checkpointer gone the commits' own backstop
 * bounds it; a killed checkpointer is counted and another starts; a concurrent TRUNCATE checkpoint (the
 * storage guard's) is a busy run, not a crash; a clean stop leaves the file whole.
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { statSync } from 'node:fs'
import { openDatabase, type Db } from '../gateway/store/db.js'
import { PipelinedCommit } from '../gateway/ingest/pipelined-commit.js'
import { CHECKPOINTER_RESTART_MS } from '../gateway/ingest/checkpointer.js'
import type { CheckpointRun } from '../gateway/ingest/checkpoint-signal.js'
import type { PunchRow } from '../gateway/store/punch-store.js'
import { until } from './helpers/wait.js'

const T0 = Date.parse('2026-11-22T00:58:03.120Z')
/** SQLite's page size here, and what a WAL frame adds to a page */
const PAGE = 4096
const FRAME = PAGE + 24
/** rows a group: about 500 pages in the WAL with the punches' indexes */
const MAX_ROWS = 1000

const rows = (device: string, from: number, n: number): PunchRow[] => Array.from({ length: n }, (_, i) => ({
  device,
  epoch: '9f2c41d0',
  tz: 480,
  punch: { seq: from + i, ts: T0 + (from + i) * 1000, emp: `E${(from + i) % 40}`, kind: 'in', method: 'card', clock: 'synced' },
  flags: ''
}))

function database (t: Test): { db: Db, file: string } {
  const file = join(t.testdir(), 'w.db')
  const db = openDatabase(file)
  t.teardown(() => db.close())
  return { db, file }
}

interface Reports { runs: CheckpointRun[], failed: Error[], lost: Error[] }

async function pipelined (t: Test, file: string, checkpoints: { autocheckpointPages?: number, everyUnits?: number, idleMs?: number } | false): Promise<{ c: PipelinedCommit, reports: Reports }> {
  const reports: Reports = { runs: [], failed: [], lost: [] }
  const c = await PipelinedCommit.start({
    thread: { file, busyTimeoutMs: 5000, maxRows: MAX_ROWS },
    maxQueuedRows: 200_000,
    checkpoints: checkpoints === false
      ? false
      : { ...checkpoints, onRun: r => reports.runs.push(r), onFailed: e => reports.failed.push(e), onLost: e => reports.lost.push(e) }
  })
  t.teardown(async () => { c.discard(); await c.close() })
  return { c, reports }
}

/** `batches` rounds of 10 devices' batches of 100, each round acknowledged before the next, like devices with window 1 */
async function ingest (c: PipelinedCommit, batches: number, from = 1): Promise<void> {
  for (let b = 0; b < batches; b++) {
    await Promise.all(Array.from({ length: 10 }, async (_, d) => await new Promise<void>((resolve, reject) => c.enqueue({
      rows: rows(`D${d}`, from + b * 100, 100),
      received: T0,
      done: (err) => { if (err !== null) reject(err); else resolve() }
    }))))
  }
}

const walBytes = (file: string): number => statSync(`${file}-wal`).size
const count = (db: Db): number => (db.prepare('SELECT count(*) AS n FROM punches').get() as { n: number }).n

t.test('the checkpointer copies what the commit thread commits; the WAL stays bounded under continuous ingest', async t => {
  const { db, file } = database(t)
  const backstop = 2000
  const { c, reports } = await pipelined(t, file, { autocheckpointPages: backstop, everyUnits: 2000, idleMs: 200 })
  let largest = 0
  for (let round = 0; round < 6; round++) {
    await ingest(c, 20, 1 + round * 2000)
    largest = Math.max(largest, walBytes(file))
  }
  t.equal(count(db), 120_000)
  t.ok(reports.runs.length > 3, `checkpoints ran beside the commits (${reports.runs.length})`)
  const copied = reports.runs.reduce((n, r) => n + r.copied, 0)
  t.ok(copied > 10_000, `the checkpointer copied the WAL's frames (${copied})`)
  t.same(reports.failed, [])
  t.same(reports.lost, [])
  // The backstop plus what the commits add before the next writer starts the WAL again: two groups' frames.
  const bound = 32 + (backstop + 4 * MAX_ROWS) * FRAME
  t.ok(largest <= bound, `the WAL stayed under ${bound} bytes (largest ${largest})`)
  // Commits stopped: what is left is copied without another commit, so the WAL is all in the file.
  await until(() => reports.runs.some(r => !r.busy && r.log > 0 && r.checkpointed === r.log && reports.runs.at(-1) === r), 'an idle checkpoint copying the whole WAL', 20_000)
  const [left] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number, log: number, checkpointed: number }>
  t.equal(left.checkpointed, left.log, 'nothing left for another checkpoint to copy')
})

t.test('with the checkpointer stopped, the commits\' own auto-checkpoint bounds the WAL', async t => {
  const { db, file } = database(t)
  const backstop = 4000
  const { c } = await pipelined(t, file, { autocheckpointPages: backstop })
  c.checkpointer!.abort()
  await until(() => !c.checkpointer!.running, 'the checkpointer ended')
  let largest = 0
  for (let round = 0; round < 8; round++) {
    await ingest(c, 20, 1 + round * 2000)
    largest = Math.max(largest, walBytes(file))
  }
  t.equal(count(db), 160_000)
  const bound = 32 + (backstop + 2 * MAX_ROWS) * FRAME
  t.ok(largest <= bound, `the WAL stayed under ${bound} bytes (largest ${largest})`)
  // SQLite's default (1000 pages) would have kept it under 1000 pages and a group's.
  t.ok(largest > (1000 + MAX_ROWS) * FRAME, `the backstop set is the one that checkpointed (largest ${largest})`)
})

t.test('a killed checkpointer is reported and another starts; the commits never wait for it', async t => {
  const { db, file } = database(t)
  const { c, reports } = await pipelined(t, file, {})
  await ingest(c, 10)
  await c.checkpointer!.kill()
  t.equal(reports.lost.length, 1, 'the loss is reported')
  t.notOk(c.checkpointer!.running)
  // Commits go on while none runs.
  await ingest(c, 10, 1001)
  t.equal(count(db), 20_000)
  const runsBefore = reports.runs.length
  await until(() => c.checkpointer!.running, `another checkpointer, ${CHECKPOINTER_RESTART_MS} ms after`, 20_000)
  t.equal(c.checkpointer!.started, 2)
  // With no commit after it starts, it still copies what was committed while none ran.
  await until(() => reports.runs.slice(runsBefore).some(r => !r.busy && r.copied > 0), 'the new checkpointer copies the commits made while none ran', 20_000)
  const before = reports.runs.length
  await ingest(c, 20, 2001)
  await until(() => reports.runs.length > before, 'the new checkpointer checkpoints', 20_000)
})

t.test('a TRUNCATE checkpoint on another connection (the storage guard\'s) makes busy runs, never a failure', async t => {
  const { db, file } = database(t)
  const { c, reports } = await pipelined(t, file, { everyUnits: 1 })
  // Every commit wakes the checkpointer; the test's connection checkpoints as often beside it.
  let truncates = 0
  const guard = setInterval(() => { db.pragma('wal_checkpoint(TRUNCATE)'); truncates++ }, 20)
  t.teardown(() => clearInterval(guard))
  await ingest(c, 60)
  clearInterval(guard)
  t.equal(count(db), 60_000)
  t.ok(truncates > 0)
  t.same(reports.failed, [], 'no checkpoint threw')
  t.same(reports.lost, [], 'the checkpointer never ended')
  t.comment(`${reports.runs.filter(r => r.busy).length} busy runs of ${reports.runs.length}`)
})

t.test('a clean stop: the checkpointer and the commit thread close, and the last connection removes the WAL', async t => {
  const file = join(t.testdir(), 'w.db')
  const db = openDatabase(file)
  const c = await PipelinedCommit.start({ thread: { file, busyTimeoutMs: 5000, maxRows: MAX_ROWS }, maxQueuedRows: 200_000 })
  await ingest(c, 10)
  await c.close()
  t.notOk(c.checkpointer!.running)
  db.close()
  t.throws(() => statSync(`${file}-wal`), { code: 'ENOENT' }, 'no WAL left: every connection closed')
  const again = openDatabase(file)
  t.equal(count(again), 10_000)
  t.equal(again.pragma('integrity_check', { simple: true }), 'ok')
  again.close()
})
