/**
 * What the steps of the gateway's life share: the settings and the parts each step makes, set by the step
 * that makes them and read by the steps after it.
 */
import type { Server } from 'node:http'
import type { Topics } from '../../shared/topics.js'
import type { Logger } from '../../shared/log.js'
import type { Watermarks } from '../../shared/upstream.js'
import type { GatewayConfig } from '../config.js'
import type { GatewayMetrics } from '../metrics.js'
import type { Db } from '../store/db.js'
import type { DataDirLock } from '../store/data-dir-lock.js'
import type { DeviceStore } from '../store/device-store.js'
import type { PunchStore } from '../store/punch-store.js'
import type { ForwardStore } from '../store/forward-store.js'
import type { Housekeeping } from '../housekeeping.js'
import type { HealthWatch } from '../health-watch.js'
import type { RosterWatch } from '../roster-watch.js'
import type { SiteMap } from '../rules/sites.js'
import type { DeviceClocks } from '../rules/device-clocks.js'
import type { Flagger } from '../rules/flagger.js'
import type { Committer } from '../ingest/group-commit.js'
import type { Ingest } from '../ingest/ingest.js'
import type { Forwarder } from '../forward/forwarder.js'
import type { WatermarkFeed } from '../forward/watermark-feed.js'
import type { BrokerHandle } from '../broker/broker.js'
import type { DeviceSessions } from '../device-sessions.js'
import type { Live } from '../events/live-parts.js'
import type { AdmsIngress } from '../adms/ingress.js'
import type { AdmsStore } from '../store/adms-store.js'
import type { ReviewFeed } from '../forward/review-feed.js'

export interface GatewayAddresses {
  /** 0 when the plain listener is closed (mqtt.plain false) */
  mqttPort: number
  /** only when the mqtts listener is on */
  mqttsPort?: number
  httpHost: string
  httpPort: number
  /** only when the ADMS listener is on (adms.port) */
  admsPort?: number
}

/** The parts of a running gateway, each present once the step that makes it has started. */
export interface GatewayParts {
  dirLock?: DataDirLock
  db?: Db
  /** where a damaged database was moved aside at this start (store/moved-aside.ts) */
  corruptKeptAs?: string
  devices?: DeviceStore
  punches?: PunchStore
  forwardStore?: ForwardStore
  housekeeping?: Housekeeping
  rosterWatch?: RosterWatch
  clocks?: DeviceClocks
  flagger?: Flagger
  sessions?: DeviceSessions
  /** the live events, the devices' live state and the history (live.ts) */
  live?: Live
  /** absent when no upstream is configured: punches are stored and acknowledged, and wait for one */
  forwarder?: Forwarder
  watermarkFeed?: WatermarkFeed
  reviewFeed?: ReviewFeed
  commit?: Committer
  ingest?: Ingest
  health?: HealthWatch
  http?: Server
  httpPort?: number
  broker?: BrokerHandle
  /** the ZKTeco terminals' listener and its parts, when adms.port is set */
  /** the ZKTeco terminals' registry, bodies and commands: one store for the listener and the API */
  admsStore?: AdmsStore
  adms?: { ingress: AdmsIngress, server: Server, port: number, pruneTimer: NodeJS.Timeout }
  backupTimer?: NodeJS.Timeout
  activityTimer?: NodeJS.Timeout
  /** set by the last step: /ready answers 200 and in-process connections are taken */
  ready: boolean
  addresses?: GatewayAddresses
  /** rows an abort found queued and dropped unacknowledged */
  droppedRows?: number
}

export interface LifeContext extends GatewayParts {
  readonly config: GatewayConfig
  readonly log: Logger
  readonly now: () => number
  readonly topics: Topics
  readonly metrics: GatewayMetrics
  readonly sites: SiteMap
  /** the gateway's own answers a step hands on (the watermark feed, the backup timer, the HTTP views) */
  readonly watermarks: () => Watermarks
  readonly backup: () => Promise<string>
}

/** A part an earlier step made; its absence is a mistake in the order of LIFE, said by name. */
export function part<K extends keyof GatewayParts> (life: LifeContext, name: K): NonNullable<GatewayParts[K]> {
  const found = life[name]
  if (found === undefined || found === null) throw new Error(`gateway life: ${name} is used before the step that makes it`)
  return found as NonNullable<GatewayParts[K]>
}
