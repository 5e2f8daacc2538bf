/**
 * What an operator's command does with a cluster's shared store (`punchline roster --cluster`,
 * `punchline deadletters --cluster`; gateway/cli/with-cluster-store.ts): the PostgreSQL store implements
 * it, and the commands see only this, so nothing outside gateway/cluster/postgres/ names that folder.
 */
import type { DeadLetter, DeadLetterKind } from '../store/forward-store.js'
import type { RosterEntry } from '../store/roster-store.js'

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
  close: () => Promise<void>
}
