/**
 * Group commit: many publishes share one SQLite transaction, and so one fsync (with synchronous=FULL the
 * fsync, not the rows, sets the pace: docs/DESIGN-NOTES.md, "Group commit in the publish path"). Jobs
 * queue until the current turn of the event loop has handed over everything the sockets delivered, then
 * commit together; each job's callback runs only after its rows are durable.
 *
 * If the shared transaction fails, each job is retried in a transaction of its own so that one bad job
 * cannot take its neighbours down with it; a job that still fails gets the error (its publish is then not
 * acknowledged and the device sends it again).
 */
import type { Db } from '../store/db.js'
import { withDefaults } from '../../shared/options.js'
import type { PunchRow, PunchStore } from '../store/punch-store.js'

export interface CommitResult {
  /** seqs stored now */
  stored: number[]
  /** seqs already stored before (acked as known) */
  known: number[]
  /** seqs already stored with different content (the stored copy wins) */
  conflicts: number[]
}

export interface CommitJob {
  rows: PunchRow[]
  received: number
  done: (err: Error | null, result?: CommitResult) => void
}

export interface GroupCommitOptions {
  /** commit as soon as this many rows are queued, without waiting for the turn to end */
  maxRows: number
  /** queue bound: beyond this many queued rows new jobs fail at once (backpressure on devices) */
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
  queuedRows: number
}

export class GroupCommit {
  readonly #store: PunchStore
  readonly #opts: GroupCommitOptions
  readonly #txn: (jobs: CommitJob[]) => CommitResult[]
  #queue: CommitJob[] = []
  #queuedRows = 0
  #scheduled = false
  #onCommit: (rows: number) => void
  readonly stats: GroupCommitStats = { transactions: 0, rows: 0, fallbacks: 0, failedJobs: 0, queuedRows: 0 }

  constructor (db: Db, store: PunchStore, opts: Partial<GroupCommitOptions> = {}, onCommit: (rows: number) => void = () => {}) {
    this.#store = store
    this.#opts = withDefaults(DEFAULT_GROUP_COMMIT, opts)
    this.#onCommit = onCommit
    this.#txn = db.transaction((jobs: CommitJob[]) => jobs.map(job => this.#write(job)))
  }

  enqueue (job: CommitJob): void {
    if (this.#queuedRows + job.rows.length > this.#opts.maxQueuedRows) {
      job.done(new Error(`ingest queue full (${this.#queuedRows} rows waiting for commit)`))
      this.stats.failedJobs++
      return
    }
    this.#queue.push(job)
    this.#queuedRows += job.rows.length
    this.stats.queuedRows = this.#queuedRows
    if (this.#queuedRows >= this.#opts.maxRows) {
      this.flush()
    } else if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(() => { this.#scheduled = false; this.flush() })
    }
  }

  /**
   * Drops what is queued without committing or answering it: what a killed process leaves behind (the
   * simulator's gateway crash). Those devices never get their acks and send the punches again.
   */
  discard (): number {
    const rows = this.#queuedRows
    this.#queue = []
    this.#queuedRows = 0
    this.stats.queuedRows = 0
    return rows
  }

  /** Commits everything queued now. Synchronous: better-sqlite3 is. */
  flush (): void {
    const jobs = this.#queue
    if (jobs.length === 0) return
    this.#queue = []
    const rows = this.#queuedRows
    this.#queuedRows = 0
    this.stats.queuedRows = 0
    let results: Array<CommitResult | Error>
    try {
      results = this.#txn(jobs)
      this.stats.transactions++
    } catch {
      this.stats.fallbacks++
      results = jobs.map(job => {
        try {
          const [r] = this.#txn([job])
          this.stats.transactions++
          return r
        } catch (err) {
          this.stats.failedJobs++
          return err as Error
        }
      })
    }
    this.stats.rows += rows
    this.#onCommit(rows)
    for (let i = 0; i < jobs.length; i++) {
      const r = results[i]
      if (r instanceof Error) jobs[i].done(r)
      else jobs[i].done(null, r)
    }
  }

  #write (job: CommitJob): CommitResult {
    const stored: number[] = []
    const known: number[] = []
    const conflicts: number[] = []
    const flag = this.#opts.flag
    for (const row of job.rows) {
      flag?.(row, job.received)
      if (this.#store.insert(row, job.received)) {
        stored.push(row.punch.seq)
      } else {
        if (this.#store.differs(row)) conflicts.push(row.punch.seq)
        known.push(row.punch.seq)
      }
    }
    return { stored, known, conflicts }
  }
}
