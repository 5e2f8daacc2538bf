/** What the gateway hands its HTTP side (server.ts): probes, metrics, the read views, the store, the bounds. */
import type { Logger } from '../../shared/log.js'
import type { HttpConfig } from '../config.js'
import type { Db } from '../store/db.js'
import type { DeadLetterKind } from '../store/forward-store.js'
import type { HttpRefusal } from './refusal.js'
import type { Live } from '../events/live-parts.js'
import type { DeviceStore } from '../store/device-store.js'
import type { AdmsStore } from '../store/adms-store.js'
import type { MakeupPolicy } from '../makeup/policy.js'
import type { SiteConfig } from '../rules/sites.js'
import type { HealthWatch, ActiveAlarms } from '../health-watch.js'
import type { HealthSnapshot } from '../health.js'
import type { TransportSecurity } from '../broker/transport-security.js'

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
  /** the running gateway's alarms: listed with their level, acknowledged by operators */
  alarms: Pick<HealthWatch, 'listed' | 'find' | 'acknowledge'>
  /** the health report now: the snapshot, the live alarms, the transport's security (punchline report --json) */
  report: () => HealthSnapshot & { alarms: ActiveAlarms['alarms'], security: TransportSecurity }
  /** the config's sites: the punch filter's `site` (rules/sites.ts) */
  sites: Record<string, SiteConfig>
  settings: Pick<HttpConfig, 'metricsPublic' | 'maxConnections' | 'headersTimeoutMs' | 'requestTimeoutMs' | 'trustProxy'>
  /** the fleet's live side (devices, events, history) and the device registry; "sync now" sends a device its commands */
  fleet: { live: Live, store: DeviceStore, syncNow: (device: string) => void }
  refused: (reason: HttpRefusal) => void
  /** the ZKTeco terminals (the ADMS listener's store) and adms.delaySeconds, how often they call */
  terminals?: { store: AdmsStore, heartbeatSeconds: number }
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
