/**
 * What an operator's command does with a cluster's shared store (`punchline roster --cluster`,
 * `punchline deadletters --cluster`, `punchline nodes --cluster`; gateway/cli/with-cluster-store.ts) and
 * what a cluster's console reads (gateway/cluster/console/): the PostgreSQL store implements it, and the
 * commands see only this, so nothing outside gateway/cluster/postgres/ names that folder.
 */
import type { Backlog, DeadLetter, DeadLetterKind } from '../store/forward-store.js'
import type { RosterEntry } from '../store/roster-store.js'
import type { NodeRecord } from './node-registry.js'
import type { DeviceAlarmQuery, RegisteredDevice, StoredStatus } from './device-statuses.js'
import type { DeviceHealth } from '../health.js'

/** The shared outbox's backlog in the single box's shape; its counts stop at a cap (postgres/outbox-backlog.ts). */
export interface ClusterBacklog extends Backlog {
  /** pendingPunches or batches reached the cap and stopped there: the figure is a floor */
  capped: boolean
}

/** a device secret as each external broker checks it (gateway/cluster/broker-auth/hashes.ts) */
export interface BrokerHashes {
  /** Mosquitto 2's password-file hash, `$7$` PBKDF2-SHA512 */
  mosquitto: string
  /** bcrypt, `$2a$`, for nats-server's authorization users */
  nats: string
}

/** a device of the cluster's registry, with its hashes; times in ms */
export interface ClusterDevice { id: string, created: number, updated: number, hashes: BrokerHashes }

export type CredentialChange = 'set' | 'exists' | 'missing'

export interface ClusterAdmin {
  /** dead letters not replayed, oldest first, in the single box's shape */
  listDeadLetters: (opts: { limit: number }) => Promise<DeadLetter[]>
  /** puts dead letters back in the shared outbox: all, those of a kind, or by punch row id; how many */
  replayDeadLetters: (which: readonly number[] | 'all' | DeadLetterKind) => Promise<number>
  readRoster: () => Promise<{ version: number, entries: RosterEntry[] }>
  /** adds or replaces entries in one transaction, refusing them all on the first invalid one */
  putRoster: (entries: ReadonlyArray<Omit<RosterEntry, 'updated'>>) => Promise<number>
  /** false when there was no such entry */
  removeRoster: (scope: string, badge: string) => Promise<boolean>
  /** registers a device ('new') or replaces its secret ('existing'); refuses the other case, naming it */
  putDeviceCredentials: (id: string, hashes: BrokerHashes, when: 'new' | 'existing') => Promise<CredentialChange>
  /** false when there was no such device */
  removeDevice: (id: string) => Promise<boolean>
  /** every registered device, by id */
  listDevices: () => Promise<ClusterDevice[]>
  /** registered devices and devices seen (a stored status), the first `limit` by id, each with what is known */
  listDeviceStates: (opts: { limit: number }) => Promise<Array<{ registered?: RegisteredDevice, seen?: StoredStatus }>>
  /** the devices past a device alarm's threshold, the first `limit` by id, in one bounded read (the console's device alarms) */
  deviceAlarmCandidates: (q: DeviceAlarmQuery) => Promise<{ devices: DeviceHealth[], capped: boolean }>

  /** the nodes' heartbeats, each with its state (`punchline nodes --cluster`) */
  listNodes: () => Promise<NodeRecord[]>
  /** removes the row of a node gone for good (stale or stopped); an alive node's is refused ('alive') */
  forgetNode: (nodeId: string) => Promise<'forgotten' | 'alive' | 'unknown'>
  /** what waits in the shared outbox, in the single box's Backlog shape (counts capped) */
  backlog: () => Promise<ClusterBacklog>
  /** dead letters not replayed, by kind (the cluster console's dead-letters alarm) */
  openDeadLetters: () => Promise<Record<string, number>>
  close: () => Promise<void>
}
