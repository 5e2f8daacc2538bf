/**
 * One group commit's transaction, wherever it runs (in the event loop's thread, ingest/group-commit.ts, or
 * on the commit thread, ingest/commit-worker.ts): every job's rows flagged and inserted in one
 * transaction, so they share one fsync. If the shared transaction fails, each job is retried in a
 * transaction of its own so that one bad job cannot take its neighbours down with it; a job that still
 * fails gets its error (its publish is then not acknowledged and the device sends it again).
 */
import type { Db } from '../store/db.js'
import type { PunchRow, PunchStore } from '../store/punch-store.js'

export interface CommitResult {
  /** seqs stored now */
  stored: number[]
  /** seqs already stored before (acked as known) */
  known: number[]
  /** seqs already stored with different content (the stored copy wins) */
  conflicts: number[]
}

export interface JobRows {
  rows: PunchRow[]
  received: number
}

export interface CommitOutcome {
  /** per job, in order: its result, or the error its own transaction failed with */
  results: Array<CommitResult | Error>
  transactions: number
  /** 1 when the shared transaction failed and the jobs were retried one by one */
  fallbacks: number
  failedJobs: number
}

/** flags row `index` of `job` (the rules step); runs inside the transaction, just before the insert */
export type FlagRow<J extends JobRows> = (job: J, index: number) => void

export class CommitWriter<J extends JobRows> {
  readonly #store: PunchStore
  readonly #flag: FlagRow<J> | undefined
  readonly #txn: (jobs: J[]) => CommitResult[]

  constructor (db: Db, store: PunchStore, flag?: FlagRow<J>) {
    this.#store = store
    this.#flag = flag
    // IMMEDIATE: the transaction reads (the rules' history, a resent punch's stored copy) before it
    // writes, and another connection may commit in between (the commit thread beside the event loop's,
    // the CLI); a deferred one would then fail with SQLITE_BUSY_SNAPSHOT instead of waiting its turn.
    const txn = db.transaction((jobs: J[]) => jobs.map(job => this.#write(job)))
    this.#txn = (jobs) => txn.immediate(jobs)
  }

  commit (jobs: J[]): CommitOutcome {
    try {
      return { results: this.#txn(jobs), transactions: 1, fallbacks: 0, failedJobs: 0 }
    } catch {
      const out: CommitOutcome = { results: [], transactions: 0, fallbacks: 1, failedJobs: 0 }
      for (const job of jobs) {
        try {
          out.results.push(this.#txn([job])[0])
          out.transactions++
        } catch (err) {
          out.failedJobs++
          out.results.push(err as Error)
        }
      }
      return out
    }
  }

  #write (job: J): CommitResult {
    const stored: number[] = []
    const known: number[] = []
    const conflicts: number[] = []
    const flag = this.#flag
    const rows = job.rows
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]
      flag?.(job, i)
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
