/**
 * What the rest of the device sees of its punch store (docs/ARCHITECTURE.md, decisions 1, 4, 5). The file
 * ring and its in-memory twin both implement this, and test/fixtures/ring-contract.ts holds them to it.
 */
import type { Punch, PunchInput } from '../../shared/punch.js'

/** `refuse` keeps every unexpired, unacked punch and turns the new one away; `overwrite-oldest` opts in to losing the oldest. */
export type FullPolicy = 'refuse' | 'overwrite-oldest'

export const DEFAULT_RETENTION_MS = 72 * 60 * 60 * 1000

export type AppendResult =
  | { ok: true, seq: number, overwrote?: { seq: number, expired: boolean } }
  | { ok: false, reason: 'full' | 'too-large', message: string }

export interface PendingQuery {
  order: 'newest' | 'oldest'
  limit: number
  /** seqs to skip, e.g. those already in flight */
  exclude?: (seq: number) => boolean
}

/** Counters that survive a reopen: every punch the ring did not keep until its ack is one of these. */
export interface RingCounters {
  /** appends turned away because every slot held an unacked, unexpired punch */
  refused: number
  /** unacked punches destroyed to make room, expired or not */
  overwritten: number
  /** the subset of `overwritten` that had outlived the retention */
  expired: number
  /** punches the gateway refused for good */
  rejected: number
}

export interface RingStats extends RingCounters {
  capacity: number
  pending: number
  oldestPendingTs: number | null
  /** unreadable records found (torn writes, bit rot) since this ring was opened */
  corrupt: number
}

export interface Ring {
  readonly epoch: string
  readonly capacity: number
  /** Durable when it returns ok: the record is on the medium. */
  append (p: PunchInput): AppendResult
  /** Several appends sharing one sync (group commit); one result per input, in order. */
  appendMany (ps: readonly PunchInput[]): AppendResult[]
  /** Frees the slots of pending punches the gateway has; returns how many changed. */
  markAcked (seqs: Iterable<number>): number
  /** Frees the slots of pending punches the gateway refused for good; returns how many changed. */
  markRejected (seqs: Iterable<number>): number
  /** Unacked punches, expired ones included. */
  pending (q: PendingQuery): Punch[]
  /** Punches still stored, in any state, in the order asked; missing seqs are left out. */
  read (seqs: readonly number[]): Punch[]
  stats (): RingStats
  /** Makes ack states durable (appends already are). */
  sync (): void
  close (): void
}

export interface RingOptions {
  /** slots; at least 2, so the newest record's slot need not be the next one reused (slot-index.ts) */
  capacity: number
  retentionMs?: number
  policy?: FullPolicy
  now?: () => number
}
