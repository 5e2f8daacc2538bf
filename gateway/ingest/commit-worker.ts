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
import { ForwardStore } from '../store/forward-store.js'
import { PunchHistory } from '../rules/history.js'
import { RowFlagger } from '../rules/flagger.js'
import { SiteMap } from '../rules/sites.js'
import { CommitWriter } from './commit-writer.js'
import { decodeJob, wireRows, type DecodedJob, type WireJob } from './commit-wire.js'
import { needsSync, runOutbox } from './outbox-on-thread.js'
import { noteCommit } from './checkpoint-signal.js'
import type { OutboxAnswer } from './outbox-requests.js'
import type { CommitThreadData, CommitThreadLink, CommittedGroup, FromCommitThread, ToCommitThread } from './commit-thread-messages.js'

if (parentPort === null) throw new Error('commit-worker.ts runs as a worker thread (pipelined-commit.ts starts it)')
const port: MessagePort = parentPort
const data = workerData as CommitThreadData & CommitThreadLink
const answered = new Int32Array(data.answered)
const db = openDatabase(data.file, { busyTimeoutMs: data.busyTimeoutMs })
const checkpoints = data.checkpoints === undefined ? undefined : new Int32Array(data.checkpoints.signal)
// The checkpointer copies the WAL; a COMMIT checkpoints only if it has fallen this far behind.
if (data.checkpoints !== undefined) db.pragma(`wal_autocheckpoint = ${data.checkpoints.autocheckpointPages}`)
const store = new PunchStore(db)
const outbox = new ForwardStore(db)
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

function wireError (err: Error): { error: string, code?: string } {
  return { error: err.message, code: (err as { code?: string }).code }
}

function rowsOf (m: { jobs: WireJob[] }): number {
  let n = 0
  for (const j of m.jobs) n += wireRows(j)
  return n
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
  const outboxes = groups.map(g => g.outbox)
  const writesOutbox = outboxes.some(o => o !== undefined)
  // Recorded deliveries alone need no fsync of their own: the next synced commit carries them (ForwardStore.complete).
  const synced = needsSync(rows, outboxes)
  if (!synced) db.pragma('synchronous = NORMAL')
  let out
  try {
    out = writer.commit(jobs, writesOutbox ? () => runOutbox(outbox, outboxes) : undefined)
  } finally {
    if (!synced) db.pragma('synchronous = FULL')
  }
  const outboxAnswers: Array<OutboxAnswer | undefined> = out.extra instanceof Error
    ? outboxes.map(o => o === undefined ? undefined : wireError(out.extra as Error))
    : out.extra ?? []
  const answers: CommittedGroup[] = []
  let at = 0
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]
    const results = out.results.slice(at, at + g.jobs.length).map(r => r instanceof Error ? wireError(r) : r)
    const o = outboxAnswers[i]
    answers.push(o === undefined ? { seq: g.seq, results } : { seq: g.seq, results, outbox: o })
    at += g.jobs.length
  }
  answer({ type: 'done', groups: answers, rows, transactions: out.transactions, fallbacks: out.fallbacks, failedJobs: out.failedJobs })
  // After the answer: the acks go out first, the checkpointer wakes second.
  if (checkpoints !== undefined && out.transactions > 0) noteCommit(checkpoints, rows, out.transactions)
  if (closing) close()
})

send({ type: 'ready' })
