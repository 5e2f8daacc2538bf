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

export interface CommitOutcome<E = never> {
  /** per job, in order: its result, or the error its own transaction failed with */
  results: Array<CommitResult | Error>
  /** what `extra` returned, or the error its own transaction failed with; absent without one */
  extra?: E | Error
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
  readonly #txn: <E>(jobs: J[], extra?: () => E) => { results: CommitResult[], extra?: E }
  readonly #alone: <E>(extra: () => E) => E

  constructor (db: Db, store: PunchStore, flag?: FlagRow<J>) {
    this.#store = store
    this.#flag = flag
    // IMMEDIATE: the transaction reads (the rules' history, a resent punch's stored copy) before it
    // writes, and another connection may commit in between (the commit thread beside the event loop's,
    // the CLI); a deferred one would then fail with SQLITE_BUSY_SNAPSHOT instead of waiting its turn.
    const txn = db.transaction(<E>(jobs: J[], extra?: () => E) => {
      const results = store.write(() => jobs.map(job => this.#write(job)))
      return extra === undefined ? { results } : { results, extra: extra() }
    })
    this.#txn = <E>(jobs: J[], extra?: () => E) => txn.immediate(jobs, extra) as { results: CommitResult[], extra?: E }
    const alone = db.transaction(<E>(extra: () => E): E => extra())
    this.#alone = <E>(extra: () => E) => alone.immediate(extra) as E
  }

  /**
   * `extra` runs in the same transaction after the jobs (the forwarder's outbox writes on the commit
   * thread); when the shared transaction fails it is retried in one of its own, after the jobs.
   */
  commit<E = never> (jobs: J[], extra?: () => E): CommitOutcome<E> {
    try {
      const done = this.#txn(jobs, extra)
      const out: CommitOutcome<E> = { results: done.results, transactions: 1, fallbacks: 0, failedJobs: 0 }
      if (extra !== undefined) out.extra = done.extra
      return out
    } catch {
      const out: CommitOutcome<E> = { results: [], transactions: 0, fallbacks: 1, failedJobs: 0 }
      for (const job of jobs) {
        try {
          out.results.push(this.#txn([job]).results[0])
          out.transactions++
        } catch (err) {
          out.failedJobs++
          out.results.push(err as Error)
        }
      }
      if (extra !== undefined) {
        try {
          out.extra = this.#alone(extra)
          out.transactions++
        } catch (err) {
          out.extra = err as Error
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
      if (this.#store.insert(row, job.received) !== 0) {
        stored.push(row.punch.seq)
      } else {
        if (this.#store.differs(row)) conflicts.push(row.punch.seq)
        known.push(row.punch.seq)
      }
    }
    return { stored, known, conflicts }
  }
}
