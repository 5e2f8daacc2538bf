/**
 * One gateway process: embedded broker, SQLite store, ingest, forwarder and HTTP, wired together by the
 * steps of LIFE (below), started in order and stopped last first (life/step.ts). `start()` resolves once
 * everything listens; `stop()` drains in-flight work: pending commits are committed and acknowledged,
 * in-flight upstream sends are awaited, then sockets and the database close.
 */
import { Topics } from '../shared/topics.js'
import type { Logger } from '../shared/log.js'
import type { Watermarks } from '../shared/upstream.js'
import { backupDir, databasePath, type GatewayConfig } from './config.js'
import { backupInThread } from './store/backup-thread.js'
import type { Db } from './store/db.js'
import type { ConnectionSocket } from './broker/connection-socket.js'
import { GatewayMetrics } from './metrics.js'
import { SiteMap } from './rules/sites.js'
import { computeWatermarks } from './store/watermark.js'
import type { LifeContext, GatewayAddresses } from './life/context.js'
import { startSteps, stopSteps, type LifeStep, type StartedSteps } from './life/step.js'
import { dataDirLock, pidFile } from './life/data-dir.js'
import { database } from './life/database.js'
import { deviceSessions, flushActivity, gauges, health, ingest, rules, stores, upstream } from './life/parts.js'
import { http } from './life/http.js'
import { live } from './life/live.js'
import { adms } from './life/adms.js'
import { broker, intake } from './life/broker.js'
import { forwarding, housekeeping, ready, reportCertificate, timers } from './life/running.js'

export type { GatewayAddresses } from './life/context.js'

/**
 * The gateway's life, in the order it starts; a stop runs it backwards, so the shutdown reads bottom up:
 * not ready, timers and housekeeping stopped, listeners closed and the queued rows committed so their acks
 * go out, the forwarder given its grace, the broker closed, HTTP closed, what came in meanwhile committed,
 * last-seen times written, the database closed, the pid file removed, the data directory released.
 * An abort runs the same stops without the drains (life/step.ts, StopHow).
 */
const LIFE: readonly LifeStep[] = [
  dataDirLock,
  pidFile,
  database,
  stores,
  rules,
  deviceSessions,
  upstream,
  live,
  ingest,
  gauges,
  health,
  http,
  adms,
  broker,
  forwarding,
  intake,
  housekeeping,
  timers,
  ready
]

export interface GatewayDeps {
  log: Logger
  now?: () => number
}

export class Gateway {
  readonly config: GatewayConfig
  readonly metrics = new GatewayMetrics()
  readonly sites: SiteMap
  readonly #life: LifeContext
  readonly #started: StartedSteps = []
  /** the start under way, settled either way; a stop waits for it (startSteps' `proceed`) */
  #starting?: Promise<unknown>
  #stopRequested = false

  constructor (config: GatewayConfig, deps: GatewayDeps) {
    this.config = config
    this.sites = new SiteMap(config.sites)
    this.#life = {
      config,
      log: deps.log,
      now: deps.now ?? Date.now,
      topics: new Topics(config.topicPrefix),
      metrics: this.metrics,
      sites: this.sites,
      watermarks: () => this.watermarks(),
      backup: async () => await this.backup(),
      ready: false
    }
  }

  get db (): Db {
    if (this.#life.db === undefined) throw new Error('gateway not started')
    return this.#life.db
  }

  async start (): Promise<GatewayAddresses> {
    // A start after a finished stop is a new life; a stop that comes during this one ends it.
    this.#stopRequested = false
    const run = startSteps(LIFE, this.#life, this.#started, () => !this.#stopRequested)
    this.#starting = run.catch(() => {})
    await run
    if (this.#life.addresses === undefined) throw new Error('gateway life: the ready step did not run')
    return this.#life.addresses
  }

  /**
   * A stop that comes while the start is under way (SIGTERM during a long integrity check) lets the step
   * in progress finish, stops the start there, and then stops what it started: when it resolves, nothing
   * of this gateway listens or holds the data directory.
   */
  async stop (): Promise<void> {
    this.#stopRequested = true
    await this.#starting
    await stopSteps(this.#started, this.#life, { drain: true })
    this.#life.log.info('gateway stopped')
  }

  /**
   * Ends the gateway as a `kill -9` would, for the simulator's crash fault (one process cannot kill its
   * own gateway and live): nothing queued is committed or acknowledged, requests upstream are cut off,
   * connections drop without a word, last-seen times not yet written are lost, and the pid file stays.
   * What was committed is on disk, as after a real crash; the next start finds it. Not for production
   * use: stop() is the way to end a gateway.
   */
  async abort (): Promise<void> {
    this.#stopRequested = true
    await this.#starting
    await stopSteps(this.#started, this.#life, { drain: false })
    this.#life.log.warn({ droppedRows: this.#life.droppedRows ?? 0 }, 'gateway aborted (simulated crash): queued punches dropped unacknowledged')
  }

  /** Takes an online backup now (also what the schedule runs). */
  async backup (): Promise<string> {
    const cfg = this.config
    // Not on the event loop's connection: the commit thread's commits would make SQLite start it again (backup-worker.ts).
    const info = await backupInThread(databasePath(cfg), backupDir(cfg), cfg.backup.keep, this.#life.now())
    this.#life.log.info({ path: info.path, bytes: info.bytes }, 'backup taken')
    return info.path
  }

  /**
   * Serves the certificate and key files as they are now to new connections (SIGHUP). ACME renewals
   * replace them every 60-90 days and devices should not lose their connections to a restart for it.
   * A file that cannot be read keeps the current certificate and logs why.
   */
  reloadTls (): void {
    const { log, now } = this.#life
    const tls = this.#life.broker?.tls
    if (tls === undefined) {
      log.info('no TLS listener: nothing to reload')
      return
    }
    try {
      reportCertificate(log, now(), tls.reload(), 'TLS certificate reloaded')
    } catch (err) {
      log.error({ err: (err as Error).message, validTo: tls.certificate.validTo }, 'TLS certificate reload failed: still serving the previous certificate')
    }
  }

  /**
   * A connection from inside this process (the simulator's in-process site links, fakes/link/memory-link.ts),
   * handled like one accepted on the MQTT port. Before start or after stop it is closed at once.
   */
  acceptConnection (socket: ConnectionSocket): void {
    const broker = this.#life.broker
    if (!this.#life.ready || broker === undefined) {
      socket.destroy()
      return
    }
    broker.accept(socket)
  }

  /** Per device and per site: every punch taken before this has been delivered upstream (store/watermark.ts). */
  watermarks (): Watermarks {
    // Device statuses are part of a watermark: what was received must be in the file first.
    flushActivity(this.#life)
    const clients = (this.#life.broker?.broker as unknown as { clients?: Record<string, unknown> } | undefined)?.clients ?? {}
    return computeWatermarks(this.db, {
      gatewayId: this.config.gatewayId,
      siteOf: (d) => this.sites.of(d).site,
      connected: (d) => clients[d] !== undefined,
      now: this.#life.now()
    })
  }
}
