/**
 * The commit thread (started by pipelined-commit.ts): its own better-sqlite3 connection to the gateway's
 * file (WAL, synchronous=FULL, like every connection db.ts opens), the rules step and the inserts, and the
 * fsync, while the event loop's thread goes on reading sockets and collecting the next group. Every group
 * already waiting when a transaction ends joins the next one, so a slow fsync makes the next transaction
 * bigger, not later.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads'
import { openDatabase } from '../store/db.js'
import { PunchStore } from '../store/punch-store.js'
import { PunchHistory } from '../rules/history.js'
import { RowFlagger } from '../rules/flagger.js'
import { SiteMap } from '../rules/sites.js'
import { CommitWriter } from './commit-writer.js'
import { decodeJob, ROW_CELLS, type DecodedJob, type WireJob } from './commit-wire.js'
import type { CommitThreadData, CommitThreadLink, CommittedGroup, FromCommitThread, ToCommitThread } from './commit-thread-messages.js'

if (parentPort === null) throw new Error('commit-worker.ts runs as a worker thread (pipelined-commit.ts starts it)')
const port: MessagePort = parentPort
const data = workerData as CommitThreadData & CommitThreadLink
const answered = new Int32Array(data.answered)
const db = openDatabase(data.file, { busyTimeoutMs: data.busyTimeoutMs })
const store = new PunchStore(db)
const rules = data.rules
const flagger = rules === undefined ? undefined : new RowFlagger({ rules: rules.config, sites: new SiteMap(rules.sites), history: new PunchHistory(db) })
const writer = new CommitWriter<DecodedJob>(db, store, flagger === undefined
  ? undefined
  : (job, i) => flagger.flag(job.rows[i], job.received, job.inputs![i]))

const send = (m: FromCommitThread): void => port.postMessage(m)

/** An answer, then the count the loop may be sleeping on (pipelined-commit.ts, holding back). */
function answer (m: FromCommitThread): void {
  data.answers.postMessage(m)
  Atomics.add(answered, 0, 1)
  Atomics.notify(answered, 0)
}

function rowsOf (m: { jobs: WireJob[] }): number {
  let n = 0
  for (const j of m.jobs) n += j.cells.length
  return n / ROW_CELLS
}

function close (): void {
  db.close()
  data.answers.close()
  port.close()
}

port.on('message', (first: ToCommitThread) => {
  if (first.type === 'close') return close()
  const groups = [first]
  let rows = rowsOf(first)
  let closing = false
  // What arrived during the last transaction rides in this one.
  while (rows < data.maxRows) {
    const next = receiveMessageOnPort(port)?.message as ToCommitThread | undefined
    if (next === undefined) break
    if (next.type === 'close') { closing = true; break }
    groups.push(next)
    rows += rowsOf(next)
  }
  const jobs: DecodedJob[] = []
  for (const g of groups) for (const j of g.jobs) jobs.push(decodeJob(j))
  const out = writer.commit(jobs)
  const answers: CommittedGroup[] = []
  let at = 0
  for (const g of groups) {
    const results = out.results.slice(at, at + g.jobs.length).map(r => r instanceof Error ? { error: r.message, code: (r as { code?: string }).code } : r)
    answers.push({ seq: g.seq, results })
    at += g.jobs.length
  }
  answer({ type: 'done', groups: answers, rows, transactions: out.transactions, fallbacks: out.fallbacks, failedJobs: out.failedJobs })
  if (closing) close()
})

send({ type: 'ready' })
