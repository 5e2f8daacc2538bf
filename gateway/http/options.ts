/** What the gateway hands its HTTP side (server.ts): probes, metrics, the read views, the store, the bounds. */
import type { Logger } from '../../shared/log.js'
import type { HttpConfig } from '../config.js'
import type { Db } from '../store/db.js'
import type { DeadLetterKind } from '../store/forward-store.js'
import type { HttpRefusal } from './refusal.js'
import type { Live } from '../events/live-parts.js'
import type { DeviceStore } from '../store/device-store.js'
import type { MakeupPolicy } from '../makeup/policy.js'

export type JsonView = () => unknown

export interface HttpOptions {
  ready: () => boolean
  metrics: () => Promise<{ contentType: string, body: string }>
  views: Record<string, JsonView>
  log: Logger
  token: string
  /** the gateway's database: operators, sessions, the audit log */
  db: Db
  now: () => number
  /** the live forward store's replay (the forwarder picks the new batches up at its next poll) */
  replayDeadLetters: (which: readonly number[] | 'all' | DeadLetterKind, now: number) => number
  settings: Pick<HttpConfig, 'metricsPublic' | 'maxConnections' | 'headersTimeoutMs' | 'requestTimeoutMs'>
  /** the fleet's live side (devices, events, history) and the device registry; "sync now" sends a device its commands */
  fleet: { live: Live, store: DeviceStore, syncNow: (device: string) => void }
  refused: (reason: HttpRefusal) => void
  /** an operator stored a punch (an approved make-up) or decided a review: send it soon, not at the next poll */
  decided?: () => void
  /** where a make-up's site rules come from (gateway/makeup/policy.ts); absent: every request gets the defaults */
  makeups?: {
    /** the site a device belongs to ('' for none) */
    siteOf: (device: string) => string
    /** a site's make-up rules; undefined when no such site is configured */
    policyOf: (site: string) => MakeupPolicy | undefined
  }
}
