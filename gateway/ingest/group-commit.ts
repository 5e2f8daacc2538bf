/**
 * Group commit: many publishes share one SQLite transaction, and so one fsync (with synchronous=FULL the
 * fsync, not the rows, sets the pace: docs/DESIGN-NOTES.md, "Group commit in the publish path"). Jobs
 * queue until the current turn of the event loop has handed over everything the sockets delivered, then
 * commit together; each job's callback runs only after its rows are durable.
 *
 * Two ways to run the transaction behind one interface (`Committer`): `GroupCommit` here, in the event
 * loop's own thread (which blocks through each fsync), and `PipelinedCommit` (pipelined-commit.ts), on a
 * thread of its own while the loop collects the next group. The transaction itself is commit-writer.ts.
 */
import type { Db } from '../store/db.js'
import { withDefaults } from '../../shared/options.js'
import type { PunchRow, PunchStore } from '../store/punch-store.js'
import { CommitWriter, type CommitResult } from './commit-writer.js'

export type { CommitResult } from './commit-writer.js'

export interface CommitJob {
  rows: PunchRow[]
  received: number
  done: (err: Error | null, result?: CommitResult) => void
}

export interface GroupCommitOptions {
  /** commit as soon as this many rows are queued, without waiting for the turn to end */
  maxRows: number
  /** queue bound: beyond this many rows queued or being committed, new jobs fail at once (backpressure on devices) */
  maxQueuedRows: number
  /**
   * the rules step: sets a row's flags (and person) inside the transaction, so rules that look at other
   * punches see those stored earlier in the same commit too
   */
  flag?: (row: PunchRow, received: number) => void
}

export const DEFAULT_GROUP_COMMIT: Omit<GroupCommitOptions, 'flag'> = { maxRows: 20_000, maxQueuedRows: 200_000 }

export interface GroupCommitStats {
  transactions: number
  rows: number
  fallbacks: number
  failedJobs: number
  /** rows waiting for a commit or being committed */
  queuedRows: number
}

/** What ingest hands its jobs to. */
export interface Committer {
  readonly stats: GroupCommitStats
  enqueue: (job: CommitJob) => void
  /** Commits everything queued and resolves once every job handed over so far has its answer. */
  settle: () => Promise<void>
  /**
   * Drops what is queued or being committed without answering it: what a killed process leaves behind
   * (the simulator's gateway crash). Those devices never get their acks and send the punches again.
   * Returns the rows dropped.
   */
  discard: () => number
  /** Ends what the committer holds (a thread, its connection); after settle or discard. */
  close: () => Promise<void>
}

/** The error a job gets when the queue bound is reached. */
export class QueueFull extends Error {}

export function queueFull (queuedRows: number): QueueFull {
  return new QueueFull(`ingest queue full (${queuedRows} rows waiting for commit)`)
}

/**
 * The jobs of the current turn of the event loop, bounded: handed over (`flush`) once the turn has
 * delivered everything the sockets read, or at once when `maxRows` are queued.
 */
export class TurnQueue {
  readonly #limits: Pick<GroupCommitOptions, 'maxRows' | 'maxQueuedRows'>
  readonly #flush: () => void
  #jobs: CommitJob[] = []
  #rows = 0
  #scheduled = false

  constructor (limits: Pick<GroupCommitOptions, 'maxRows' | 'maxQueuedRows'>, flush: () => void) {
    this.#limits = limits
    this.#flush = flush
  }

  get rows (): number { return this.#rows }

  /** Queues the job; past the bound (with `committing` rows being committed elsewhere) fails it with QueueFull and returns false. */
  add (job: CommitJob, committing = 0): boolean {
    const waiting = this.#rows + committing
    if (waiting + job.rows.length > this.#limits.maxQueuedRows) {
      job.done(queueFull(waiting))
      return false
    }
    this.#jobs.push(job)
    this.#rows += job.rows.length
    if (this.#rows >= this.#limits.maxRows) {
      this.#flush()
    } else if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(() => { this.#scheduled = false; this.#flush() })
    }
    return true
  }

  /** The jobs queued first, up to about `limit` rows (at least one job), or all of them. */
  take (limit = Infinity): { jobs: CommitJob[], rows: number } {
    if (this.#rows <= limit) {
      const all = { jobs: this.#jobs, rows: this.#rows }
      this.#jobs = []
      this.#rows = 0
      return all
    }
    let n = 0
    let rows = 0
    while (n < this.#jobs.length && (n === 0 || rows + this.#jobs[n].rows.length <= limit)) rows += this.#jobs[n++].rows.length
    const jobs = this.#jobs.splice(0, n)
    this.#rows -= rows
    return { jobs, rows }
  }
}

export class GroupCommit implements Committer {
  readonly #writer: CommitWriter<CommitJob>
  readonly #queue: TurnQueue
  #onCommit: (rows: number) => void
  readonly stats: GroupCommitStats = { transactions: 0, rows: 0, fallbacks: 0, failedJobs: 0, queuedRows: 0 }

  constructor (db: Db, store: PunchStore, opts: Partial<GroupCommitOptions> = {}, onCommit: (rows: number) => void = () => {}) {
    const o = withDefaults(DEFAULT_GROUP_COMMIT, opts)
    this.#onCommit = onCommit
    const flag = o.flag
    this.#writer = new CommitWriter<CommitJob>(db, store, flag === undefined ? undefined : (job, i) => flag(job.rows[i], job.received))
    this.#queue = new TurnQueue(o, () => this.flush())
  }

  enqueue (job: CommitJob): void {
    if (!this.#queue.add(job)) this.stats.failedJobs++
    this.stats.queuedRows = this.#queue.rows
  }

  discard (): number {
    const { rows } = this.#queue.take()
    this.stats.queuedRows = 0
    return rows
  }

  async settle (): Promise<void> {
    this.flush()
  }

  async close (): Promise<void> {}

  /** Commits everything queued now. Synchronous: better-sqlite3 is. */
  flush (): void {
    const { jobs, rows } = this.#queue.take()
    if (jobs.length === 0) return
    this.stats.queuedRows = 0
    const out = this.#writer.commit(jobs)
    this.stats.transactions += out.transactions
    this.stats.fallbacks += out.fallbacks
    this.stats.failedJobs += out.failedJobs
    this.stats.rows += rows
    this.#onCommit(rows)
    for (let i = 0; i < jobs.length; i++) {
      const r = out.results[i]
      if (r instanceof Error) jobs[i].done(r)
      else jobs[i].done(null, r)
    }
  }
}
