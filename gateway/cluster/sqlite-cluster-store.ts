/**
 * The cluster store's interface over today's SQLite stores, unchanged (gateway/store/punch-store.ts,
 * forward-store.ts, gateway/ingest/commit-writer.ts): one process is the only writer, so a claim is the
 * single box's own way of choosing a batch (a due batch, else one formed past the cursor), and what a
 * claimer holds is kept in memory with its lease, as the forwarder keeps its deliveries in flight.
 * A process that dies takes its leases with it, and its batches are due again under their keys.
 * Heartbeats and device statuses are kept in memory too: the one process is the whole cluster, and its rows live as it does.
 */
import { randomUUID } from 'node:crypto'
import { CommitWriter, type CommitOutcome, type JobRows } from '../ingest/commit-writer.js'
import type { Db } from '../store/db.js'
import { ForwardStore, type ForwardBatch } from '../store/forward-store.js'
import { PunchStore } from '../store/punch-store.js'
import { checkClaim, checkRelease, MAX_ERROR_CHARS, type ClaimedBatch, type ClaimOptions, type ClusterStore, type DeadLetterOptions, type ReleaseOptions } from './cluster-store.js'
import { checkLeaseMs, DEFAULT_LEASE_MS } from './lease.js'
import { NodeBook, type NodeBeat, type NodeRecord } from './node-registry.js'
import { StatusBook, type StatusTaken, type StoredStatus } from './device-statuses.js'

export interface SqliteClusterStoreOptions {
  leaseMs?: number
  now?: () => number
}

export class SqliteClusterStore implements ClusterStore {
  readonly #writer: CommitWriter<JobRows>
  readonly #outbox: ForwardStore
  readonly #leaseMs: number
  readonly #now: () => number
  /** batch key → the claim holding it and until when */
  readonly #leases = new Map<string, { claim: string, until: number }>()
  readonly #nodes = new NodeBook()
  readonly #statuses = new StatusBook()

  constructor (db: Db, opts: SqliteClusterStoreOptions = {}) {
    checkLeaseMs(opts.leaseMs)
    this.#writer = new CommitWriter<JobRows>(db, new PunchStore(db))
    this.#outbox = new ForwardStore(db)
    this.#leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS
    this.#now = opts.now ?? Date.now
  }

  async commit (jobs: readonly JobRows[]): Promise<CommitOutcome> {
    return this.#writer.commit([...jobs])
  }

  async claim (opts: ClaimOptions): Promise<ClaimedBatch | undefined> {
    checkClaim(opts)
    const now = this.#now()
    for (const [key, lease] of this.#leases) if (lease.until <= now) this.#leases.delete(key)
    const batch = this.#outbox.dueBatches(now, 1, new Set(this.#leases.keys()))[0] ?? this.#outbox.formBatch(opts.size, now)
    if (batch === undefined) return undefined
    return this.#hold(batch, now)
  }

  #hold (batch: ForwardBatch, now: number): ClaimedBatch {
    const lease = { claim: randomUUID(), until: now + this.#leaseMs }
    this.#leases.set(batch.key, lease)
    return { key: batch.key, claim: lease.claim, attempts: batch.attempts, leaseUntil: lease.until, punches: this.#outbox.loadPunches(batch) }
  }

  async renew (batch: ClaimedBatch): Promise<number | undefined> {
    const lease = this.#leases.get(batch.key)
    const now = this.#now()
    if (lease?.claim !== batch.claim || lease.until <= now) return undefined
    lease.until = now + this.#leaseMs
    return lease.until
  }

  async complete (batch: ClaimedBatch): Promise<boolean> {
    const known = this.#outbox.get(batch.key) !== undefined
    this.#outbox.complete(batch.key)
    this.#drop(batch)
    return known
  }

  async release (batch: ClaimedBatch, opts: ReleaseOptions): Promise<boolean> {
    checkRelease(opts)
    if (this.#leases.get(batch.key)?.claim !== batch.claim) return false
    this.#outbox.retryLater(batch.key, this.#now() + opts.retryInMs, opts.error.slice(0, MAX_ERROR_CHARS))
    this.#drop(batch)
    return true
  }

  async split (batch: ClaimedBatch): Promise<number | undefined> {
    if (!this.#holds(batch)) return undefined
    if (batch.punches.length < 2) return 0
    const halves = this.#outbox.split(batch.key, this.#now())
    this.#drop(batch)
    return halves.length
  }

  async deadLetter (batch: ClaimedBatch, opts: DeadLetterOptions): Promise<number | undefined> {
    if (!this.#holds(batch)) return undefined
    const n = this.#outbox.deadLetter(batch.key, opts.status, opts.reason.slice(0, MAX_ERROR_CHARS), this.#now(), opts.kind)
    this.#drop(batch)
    return n
  }

  #holds (batch: ClaimedBatch): boolean {
    const lease = this.#leases.get(batch.key)
    return lease?.claim === batch.claim && lease.until > this.#now()
  }

  #drop (batch: ClaimedBatch): void {
    if (this.#leases.get(batch.key)?.claim === batch.claim) this.#leases.delete(batch.key)
  }

  async beat (b: NodeBeat): Promise<void> {
    this.#nodes.beat(b, this.#now())
  }

  async listNodes (): Promise<NodeRecord[]> {
    return this.#nodes.list(this.#now())
  }

  async saveStatuses (rows: readonly StatusTaken[]): Promise<number> {
    return this.#statuses.save(rows)
  }

  async listStatuses (opts: { limit: number }): Promise<StoredStatus[]> {
    return this.#statuses.list(opts.limit)
  }

  async close (): Promise<void> {
    this.#leases.clear()
  }
}
