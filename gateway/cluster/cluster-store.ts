/**
 * What a cluster node needs of the store its nodes share (docs/DESIGN-NOTES.md, "Cluster mode: the shared
 * store"): the punch ledger, written by group commit with the single box's dedup rules, and the outbox,
 * from which every node's forwarder claims batches without two nodes ever holding the same punches.
 *
 * Two implementations pass the same contract (test/fixtures/cluster-store-contract.ts): SQLite
 * (`sqlite-cluster-store.ts`, today's stores behind this interface, one process) and PostgreSQL
 * (`postgres/`, any number of nodes). Every call returns a Promise so a networked database fits; nothing
 * here is imported by the single-box gateway, so `npm start` never loads a PostgreSQL client.
 */
import type { CommitOutcome, JobRows } from '../ingest/commit-writer.js'
import type { StoredPunch } from '../store/punch-store.js'
import type { DeadLetterKind } from '../store/forward-store.js'
import type { NodeBeat, NodeRecord } from './node-registry.js'
import type { StatusTaken, StoredStatus } from './device-statuses.js'

export type { CommitOutcome, CommitResult, JobRows } from '../ingest/commit-writer.js'
export type { PunchRow, StoredPunch } from '../store/punch-store.js'

/**
 * A batch a node holds for delivery: its punches, under the Idempotency-Key the batch keeps across
 * retries, restarts and nodes, until the node completes or releases it or its lease runs out.
 */
export interface ClaimedBatch {
  /** the Idempotency-Key: fixed when the batch was formed, on disk before the claim returned */
  key: string
  /** this claim, and only this one: a release after the lease ran out and another node took the batch does nothing */
  claim: string
  /** attempts recorded so far (releases), for the backoff */
  attempts: number
  /** until when (ms since epoch, the store's clock) no other claimer gets this batch */
  leaseUntil: number
  punches: StoredPunch[]
}

export interface ClaimOptions {
  /** most punches in a new batch */
  size: number
  /** who claims: a node's name, for operators reading the outbox */
  node: string
}

export interface ReleaseOptions {
  /** when the batch may be claimed again, from now */
  retryInMs: number
  /** why the attempt failed (bounded before it is stored) */
  error: string
}

export interface DeadLetterOptions {
  /** the upstream's HTTP status, when it answered */
  status: number | null
  /** the upstream's words (bounded before they are stored) */
  reason: string
  /** 'refused' for good, or 'unmapped': the upstream does not know the person yet */
  kind: DeadLetterKind
  /** the node that parked them, for operators */
  node: string
}

export interface ClusterStore {
  /**
   * Stores each job's rows in one group commit, with decision 1's dedup (docs/ARCHITECTURE.md):
   * (device, epoch, seq), or (device, source_id) for a punch that carries its source's identity. Per job,
   * in order, exactly as CommitWriter answers: seqs stored now, seqs known (already stored), and among
   * the known those whose stored copy says something else (the stored copy wins). If the shared
   * transaction fails, each job is tried alone and a job that still fails gets its error, its
   * neighbours their results. Resolves only once what it reports stored is durable.
   */
  commit: (jobs: readonly JobRows[]) => Promise<CommitOutcome>
  /**
   * A batch to deliver: the oldest batch due again (released, or its claimer's lease ran out) with the
   * key it already had, or else a new one of up to `size` punches no batch holds yet. No two claims
   * that overlap in time ever get the same punches. Undefined when nothing waits.
   */
  claim: (opts: ClaimOptions) => Promise<ClaimedBatch | undefined>
  /**
   * The delivery goes on: the lease runs `leaseMs` from now again. The new end, or undefined when this
   * claim no longer holds the batch (its lease ran out and another claimer took it: stop sending).
   */
  renew: (batch: ClaimedBatch) => Promise<number | undefined>
  /** The upstream took the batch: it leaves the outbox. False when it had already left (another node delivered it). */
  complete: (batch: ClaimedBatch) => Promise<boolean>
  /** The attempt failed: count it and make the batch due again later, under its key. False when this claim no longer held it. */
  release: (batch: ClaimedBatch, opts: ReleaseOptions) => Promise<boolean>
  /**
   * The upstream refused a record of the batch for good: the batch is replaced by two halves, each a new
   * batch under a new key, due now. 2, or 0 when it holds a single punch (park it with `deadLetter`), or
   * undefined when this claim no longer held it.
   */
  split: (batch: ClaimedBatch) => Promise<number | undefined>
  /** The batch's punches go to dead letters and the batch leaves the outbox; how many, or undefined when this claim no longer held it. */
  deadLetter: (batch: ClaimedBatch, opts: DeadLetterOptions) => Promise<number | undefined>
  /**
   * Some punches of the held batch wait for a roster entry (`roster.unknown` = 'hold'): they go to dead
   * letters as `unmapped` and leave the batch, which keeps its key for the rest. How many, undefined
   * when this claim no longer held it, 'roster-moved' (nothing parked) when the shared roster is no longer
   * at `rosterVersion`, the version the node judged by. Absent on a store whose nodes do not hold (the
   * SQLite one: the single box holds in its own forwarder).
   */
  park?: (batch: ClaimedBatch, punchIds: readonly number[], opts: { reason: string, node: string, rosterVersion: number }) => Promise<number | undefined | 'roster-moved'>
  /**
   * The node's heartbeat (node-registry.ts): its row, written again with its counts; `stopping` marks it
   * stopped. A node id seen again (a restart) starts its row afresh.
   */
  beat: (b: NodeBeat) => Promise<void>
  /** every node that has written a heartbeat, by node id, each with its state judged on the store's clock */
  listNodes: () => Promise<NodeRecord[]>
  /**
   * Devices' statuses as nodes took them (device-statuses.ts): per device the latest received, kept only
   * when received later than the stored one; a status that does not describe the device (a last will)
   * keeps the last that did. How many devices' rows changed.
   */
  saveStatuses: (rows: readonly StatusTaken[]) => Promise<number>
  /** the first `limit` devices' stored statuses, by device */
  listStatuses: (opts: { limit: number }) => Promise<StoredStatus[]>
  close: () => Promise<void>
}

/** longest stored failure text: upstream error bodies are bounded before they reach the database */
export const MAX_ERROR_CHARS = 1000

/** most punches a claim may ask for in one batch: a sink's batch is far smaller, this only stops a runaway value */
export const MAX_CLAIM_SIZE = 100_000

/** Refuses a claim's or a release's numbers before they reach a store, naming the field and the rule. */
export function checkClaim (opts: ClaimOptions): void {
  if (!Number.isInteger(opts.size) || opts.size < 1 || opts.size > MAX_CLAIM_SIZE) {
    throw new RangeError(`size: must be a whole number from 1 to ${MAX_CLAIM_SIZE} (got ${opts.size})`)
  }
}

export function checkRelease (opts: ReleaseOptions): void {
  if (!Number.isFinite(opts.retryInMs) || opts.retryInMs < 0) throw new RangeError(`retryInMs: must be a number of ms, 0 or more (got ${opts.retryInMs})`)
}
