/**
 * The cluster store on PostgreSQL: the store every node of a cluster shares (docs/DESIGN-NOTES.md,
 * "Cluster mode: the shared store"). Opening it connects the node's pool, refuses a server that does not
 * fsync, and brings the schema up to date (migrations.ts).
 */
import type pg from 'pg'
import type { CommitOutcome, JobRows } from '../../ingest/commit-writer.js'
import { checkClaim, checkRelease, type ClaimedBatch, type ClaimOptions, type ClusterStore, type ReleaseOptions } from '../cluster-store.js'
import { checkLeaseMs, DEFAULT_LEASE_MS } from '../lease.js'
import { migrate } from './migrations.js'
import { DEFAULT_MAX_ROWS_PER_STATEMENT, PunchLedger } from './punch-ledger.js'
import { openPool, type PostgresConnection } from './pool.js'
import { SharedOutbox } from './outbox.js'

export interface PostgresClusterStoreOptions extends PostgresConnection {
  /** rows per INSERT statement of a group commit */
  maxRowsPerStatement?: number
  /** how long a claimed batch stays the claimer's own without word from it, ms */
  leaseMs?: number
}

export class PostgresClusterStore implements ClusterStore {
  readonly #pool: pg.Pool
  readonly #ledger: PunchLedger
  readonly #outbox: SharedOutbox

  private constructor (pool: pg.Pool, o: PostgresClusterStoreOptions) {
    this.#pool = pool
    this.#ledger = new PunchLedger(pool, o.maxRowsPerStatement ?? DEFAULT_MAX_ROWS_PER_STATEMENT)
    this.#outbox = new SharedOutbox(pool, o.leaseMs ?? DEFAULT_LEASE_MS)
  }

  static async open (o: PostgresClusterStoreOptions): Promise<PostgresClusterStore> {
    checkBounds(o)
    const pool = await openPool(o)
    try {
      await migrate(pool)
    } catch (err) {
      await pool.end()
      throw err
    }
    return new PostgresClusterStore(pool, o)
  }

  async commit (jobs: readonly JobRows[]): Promise<CommitOutcome> {
    return await this.#ledger.commit(jobs)
  }

  async claim (opts: ClaimOptions): Promise<ClaimedBatch | undefined> {
    checkClaim(opts)
    return await this.#outbox.claim(opts)
  }

  async renew (batch: ClaimedBatch): Promise<number | undefined> {
    return await this.#outbox.renew(batch)
  }

  async complete (batch: ClaimedBatch): Promise<boolean> {
    return await this.#outbox.complete(batch)
  }

  async release (batch: ClaimedBatch, opts: ReleaseOptions): Promise<boolean> {
    checkRelease(opts)
    return await this.#outbox.release(batch, opts)
  }

  async close (): Promise<void> {
    await this.#pool.end()
  }
}

function checkBounds (o: PostgresClusterStoreOptions): void {
  const whole = (name: string, v: number | undefined, min: number, max: number): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) throw new RangeError(`${name}: must be a whole number from ${min} to ${max} (got ${v})`)
  }
  // The rows go as one array per column, so PostgreSQL's limit on parameters never binds; the bound is on
  // one statement's size in memory on both ends and the time it holds its locks.
  whole('maxRowsPerStatement', o.maxRowsPerStatement, 1, 10_000)
  whole('poolSize', o.poolSize, 1, 100)
  checkLeaseMs(o.leaseMs)
}
