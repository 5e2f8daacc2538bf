/**
 * What the event loop's thread and the commit thread (commit-worker.ts) say to each other: plain data
 * only, copied by postMessage (the rows in the flat form of commit-wire.ts). A job's callback stays behind in pipelined-commit.ts, keyed by `seq`.
 */
import type { MessagePort } from 'node:worker_threads'
import type { RulesConfig } from '../rules/rules.js'
import type { SiteConfig } from '../rules/sites.js'
import type { CommitResult } from './commit-writer.js'
import type { WireJob } from './commit-wire.js'
import type { OutboxAnswer, WireOutbox } from './outbox-requests.js'

export interface CommitThreadData {
  /** the database file: the thread opens its own connection to it */
  file: string
  busyTimeoutMs: number
  /** a transaction takes groups waiting for it up to about this many rows */
  maxRows: number
  /** the rules step's settings; absent: rows are stored unflagged */
  rules?: { config: RulesConfig, sites: Record<string, SiteConfig> }
}

/** What pipelined-commit.ts adds for each thread it starts. */
export interface CommitThreadLink {
  /** where the thread answers: the loop can also take an answer from it without waiting for a turn */
  answers: MessagePort
  /** one Int32 the thread counts its answers in, so the loop can sleep until the next one (Atomics.wait) */
  answered: SharedArrayBuffer
  /**
   * With a checkpointer beside the thread (checkpointer.ts): the counter it sleeps on, which the thread adds
   * its rows to after each transaction, and the auto-checkpoint the thread's connection keeps as a backstop.
   * Absent: SQLite's default auto-checkpoint, run by the COMMIT that crosses it.
   */
  checkpoints?: { signal: SharedArrayBuffer, autocheckpointPages: number }
}

/** a job's error, with SQLite's code (SQLITE_FULL turns the storage guard full): an Error loses it in the copy */
export interface WireError { error: string, code?: string }

export type ToCommitThread =
  /** a group: punch jobs (perhaps none) and the forwarder's outbox writes (perhaps none) */
  | { type: 'commit', seq: number, jobs: WireJob[], outbox?: WireOutbox }
  | { type: 'close' }

export interface CommittedGroup { seq: number, results: Array<CommitResult | WireError>, outbox?: OutboxAnswer }

export type FromCommitThread =
  | { type: 'ready' }
  /** one transaction (and its fallbacks) over one or more groups, answered in the order they were handed over */
  | { type: 'done', groups: CommittedGroup[], rows: number, transactions: number, fallbacks: number, failedJobs: number }
