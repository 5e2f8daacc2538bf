/**
 * The cluster store on PostgreSQL: the store every node of a cluster shares (docs/DESIGN-NOTES.md,
 * "Cluster mode: the shared store"). Opening it connects the node's pool, refuses a server that does not
 * fsync, and brings the schema up to date (migrations.ts).
 */
import type pg from 'pg'
import type { DeviceStatus } from '../../../shared/codec/status.js'
import type { CommitOutcome, JobRows } from '../../ingest/commit-writer.js'
import type { DeadLetter, DeadLetterKind } from '../../store/forward-store.js'
import type { RosterEntry } from '../../store/roster-store.js'
import { checkClaim, checkRelease, type ClaimedBatch, type ClaimOptions, type ClusterStore, type DeadLetterOptions, type ReleaseOptions } from '../cluster-store.js'
import { deadLetterBatch, listDeadLetters, openDeadLetters, parkInBatch, replayDeadLetters, splitBatch, type ParkOptions } from './dead-letters.js'
import { releaseMapped } from './unmapped-release.js'
import type { PickMapped } from '../unmapped-letters.js'
import type { ClusterRules } from '../cluster-rules.js'
import { flagGroup } from './group-flagger.js'
import { recordClock } from './shared-clocks.js'
import { putRoster, readRoster, removeRoster, rosterVersion } from './shared-roster.js'
import { listDeviceCredentials, putDeviceCredentials, removeDeviceCredentials } from './device-credentials.js'
import type { BrokerHashes, ClusterAdmin, ClusterBacklog, ClusterDevice, CredentialChange } from '../cluster-admin.js'
import { checkLeaseMs, DEFAULT_LEASE_MS } from '../lease.js'
import { migrate } from './migrations.js'
import { DEFAULT_MAX_ROWS_PER_STATEMENT, PunchLedger } from './punch-ledger.js'
import { openPool, type PostgresConnection } from './pool.js'
import { SharedOutbox } from './outbox.js'
import { forgetNode, listNodes, writeBeat } from './node-heartbeats.js'
import { outboxBacklog } from './outbox-backlog.js'
import type { NodeBeat, NodeRecord } from '../node-registry.js'
import type { DeviceAlarmQuery, RegisteredDevice, StatusTaken, StoredStatus } from '../device-statuses.js'
import type { DeviceHealth } from '../../health.js'
import { deviceAlarmCandidates, listDeviceStates, listStatuses, saveStatuses } from './device-statuses.js'

export interface PostgresClusterStoreOptions extends PostgresConnection {
  /** rows per INSERT statement of a group commit */
  maxRowsPerStatement?: number
  /** how long a claimed batch stays the claimer's own without word from it, ms */
  leaseMs?: number
  /** the rules that flag each punch inside its group commit (absent: rows are stored as given) */
  rules?: ClusterRules
}

export class PostgresClusterStore implements ClusterStore, ClusterAdmin {
  readonly #pool: pg.Pool
  readonly #ledger: PunchLedger
  readonly #outbox: SharedOutbox

  private constructor (pool: pg.Pool, o: PostgresClusterStoreOptions) {
    this.#pool = pool
    const rules = o.rules
    this.#ledger = new PunchLedger(pool, o.maxRowsPerStatement ?? DEFAULT_MAX_ROWS_PER_STATEMENT,
      rules === undefined ? undefined : async (c, jobs) => { await flagGroup(c, jobs, rules) })
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

  async split (batch: ClaimedBatch): Promise<number | undefined> {
    return await splitBatch(this.#pool, batch)
  }

  async deadLetter (batch: ClaimedBatch, opts: DeadLetterOptions): Promise<number | undefined> {
    return await deadLetterBatch(this.#pool, batch, opts)
  }

  async park (batch: ClaimedBatch, punchIds: readonly number[], opts: ParkOptions): Promise<number | undefined | 'roster-moved'> {
    return await parkInBatch(this.#pool, batch, punchIds, opts)
  }

  /** Replays the `unmapped` dead letters the roster maps now (unmapped-release.ts); undefined when another node is at it. */
  async releaseMapped (pick: PickMapped): Promise<{ version: number, released: number } | undefined> {
    return await releaseMapped(this.#pool, pick)
  }

  async listDeadLetters (opts: { limit: number }): Promise<DeadLetter[]> {
    return await listDeadLetters(this.#pool, opts.limit)
  }

  async replayDeadLetters (which: readonly number[] | 'all' | DeadLetterKind): Promise<number> {
    return await replayDeadLetters(this.#pool, which)
  }

  /** A device's status: its last clock correction, for the clock-skew rule on any node. */
  async recordClock (device: string, status: DeviceStatus): Promise<boolean> {
    return await recordClock(this.#pool, device, status, Date.now())
  }

  async rosterVersion (): Promise<number> {
    return await rosterVersion(this.#pool)
  }

  async readRoster (): Promise<{ version: number, entries: RosterEntry[] }> {
    return await readRoster(this.#pool)
  }

  async putRoster (entries: ReadonlyArray<Omit<RosterEntry, 'updated'>>): Promise<number> {
    return await putRoster(this.#pool, entries, Date.now())
  }

  async removeRoster (scope: string, badge: string): Promise<boolean> {
    return await removeRoster(this.#pool, scope, badge)
  }

  async putDeviceCredentials (id: string, hashes: BrokerHashes, when: 'new' | 'existing'): Promise<CredentialChange> {
    return await putDeviceCredentials(this.#pool, id, hashes, when, Date.now())
  }

  async removeDevice (id: string): Promise<boolean> {
    return await removeDeviceCredentials(this.#pool, id)
  }

  async listDevices (): Promise<ClusterDevice[]> {
    return await listDeviceCredentials(this.#pool)
  }

  async beat (b: NodeBeat): Promise<void> {
    await writeBeat(this.#pool, b)
  }

  async listNodes (): Promise<NodeRecord[]> {
    return await listNodes(this.#pool)
  }

  async saveStatuses (rows: readonly StatusTaken[]): Promise<number> {
    return await saveStatuses(this.#pool, rows)
  }

  async listStatuses (opts: { limit: number }): Promise<StoredStatus[]> {
    return await listStatuses(this.#pool, opts.limit)
  }

  async listDeviceStates (opts: { limit: number }): Promise<Array<{ registered?: RegisteredDevice, seen?: StoredStatus }>> {
    return await listDeviceStates(this.#pool, opts.limit)
  }

  async deviceAlarmCandidates (q: DeviceAlarmQuery): Promise<{ devices: DeviceHealth[], capped: boolean }> {
    return await deviceAlarmCandidates(this.#pool, q)
  }

  async forgetNode (nodeId: string): Promise<'forgotten' | 'alive' | 'unknown'> {
    return await forgetNode(this.#pool, nodeId)
  }

  async backlog (): Promise<ClusterBacklog> {
    return await outboxBacklog(this.#pool)
  }

  async openDeadLetters (): Promise<Record<string, number>> {
    return await openDeadLetters(this.#pool)
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
