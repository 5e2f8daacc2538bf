/**
 * One gateway process: embedded broker, SQLite store, ingest, forwarder and HTTP, wired together.
 * `start()` resolves once everything listens; `stop()` drains in-flight work: pending commits are
 * committed and acknowledged, in-flight upstream sends are awaited, then sockets and the database close.
 */
import type { Server } from 'node:http'
import type { Socket } from 'node:net'
import type { X509Certificate } from 'node:crypto'
import type { Client, PublishPacket, Subscription } from 'aedes'
import { Topics } from '../shared/topics.js'
import { decodeStatus } from '../shared/codec/status.js'
import { fieldOf } from '../shared/codec/check.js'
import { encodeCommand } from '../shared/codec/command.js'
import type { Logger } from '../shared/log.js'
import { backupDir, databasePath, tlsEnabled, type GatewayConfig } from './config.js'
import { secretsInClearText } from './broker/transport-security.js'
import { backupDatabase, fileStamp, inspectDatabase, listBackups, moveAside, moveBack } from './store/backup.js'
import { RestoreResend } from './restore-resend.js'
import { salvageFromNewestBackup } from './store/registry-salvage.js'
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { DEFAULT_BUSY_TIMEOUT_MS, openDatabase, proveWritable, type Db } from './store/db.js'
import { DataDirInUse, DataDirLock, PRIVATE_FILE_MODE } from './store/data-dir-lock.js'
import { errorCode, storeUnavailable } from './store/open-failure.js'
import { recordMovedAside, type MovedAside } from './store/moved-aside.js'
import { PunchStore } from './store/punch-store.js'
import { DeviceStore } from './store/device-store.js'
import { ForwardStore } from './store/forward-store.js'
import { GroupCommit } from './ingest/group-commit.js'
import { Ingest } from './ingest/ingest.js'
import { GatewayMetrics } from './metrics.js'
import { Housekeeping } from './housekeeping.js'
import { HealthWatch } from './health-watch.js'
import { brokerHooks } from './broker/hooks.js'
import { LogLimiter } from './log-limiter.js'
import { startBroker, type BrokerHandle } from './broker/broker.js'
import type { ConnectionSocket } from './broker/guarded-connection.js'
import { describeCertificate } from './broker/tls-material.js'
import { clientIdForLog } from './broker/auth.js'
import { createHttpServer } from './http/server.js'
import { resolveApiToken } from './http/api-token.js'
import { Forwarder } from './forward/forwarder.js'
import { createSink } from './forward/create-sink.js'
import { RosterStore } from './store/roster-store.js'
import { Roster } from './rules/roster.js'
import { RosterWatch } from './roster-watch.js'
import { WatermarkFeed } from './forward/watermark-feed.js'
import { SiteMap } from './rules/sites.js'
import { DeviceClocks } from './rules/device-clocks.js'
import { PunchHistory } from './rules/history.js'
import { Flagger } from './rules/flagger.js'
import { computeWatermarks } from './store/watermark.js'
import type { Watermarks } from '../shared/upstream.js'

/** how often last-seen times and statuses are written (device-store.ts) */
const ACTIVITY_FLUSH_MS = 1000

export interface GatewayAddresses {
  /** 0 when the plain listener is closed (mqtt.plain false) */
  mqttPort: number
  /** only when the mqtts listener is on */
  mqttsPort?: number
  httpHost: string
  httpPort: number
}

export interface GatewayDeps {
  log: Logger
  now?: () => number
}

export class Gateway {
  readonly config: GatewayConfig
  readonly metrics = new GatewayMetrics()
  readonly #log: Logger
  readonly #now: () => number
  readonly #topics: Topics
  #db?: Db
  #dirLock?: DataDirLock
  #devices?: DeviceStore
  #forwardStore?: ForwardStore
  #restoreResend?: RestoreResend
  #commit?: GroupCommit
  #forwarder?: Forwarder
  #broker?: BrokerHandle
  #http?: Server
  #ready = false
  #backupTimer?: NodeJS.Timeout
  #activityTimer?: NodeJS.Timeout
  #housekeeping?: Housekeeping
  #health?: HealthWatch
  #rosterWatch?: RosterWatch
  #watermarkFeed?: WatermarkFeed
  #clocks?: DeviceClocks
  readonly sites: SiteMap

  constructor (config: GatewayConfig, deps: GatewayDeps) {
    this.config = config
    this.#log = deps.log
    this.#now = deps.now ?? Date.now
    this.#topics = new Topics(config.topicPrefix)
    this.sites = new SiteMap(config.sites)
  }

  get db (): Db {
    if (this.#db === undefined) throw new Error('gateway not started')
    return this.#db
  }

  async start (): Promise<GatewayAddresses> {
    const cfg = this.config
    const log = this.#log
    const { db, corruptKeptAs } = this.#openStore(databasePath(cfg))
    this.#db = db
    // For people and scripts that look for the gateway's pid; the lock (data-dir-lock.ts) is what excludes a second one.
    const pidFile = join(cfg.dataDir, 'gateway.pid')
    writeFileSync(pidFile, String(process.pid), { mode: PRIVATE_FILE_MODE })
    chmodSync(pidFile, PRIVATE_FILE_MODE)
    const devices = this.#devices = new DeviceStore(db)
    // Last-seen times and statuses go to disk together once a second (device-store.ts says why).
    this.#activityTimer = setInterval(() => this.#flushActivity(), ACTIVITY_FLUSH_MS)
    this.#activityTimer.unref()
    const punches = new PunchStore(db)
    const forwardStore = this.#forwardStore = new ForwardStore(db)
    // Storage guard and retention (housekeeping.ts): a full disk stops ingest, never loses a punch.
    const upkeep = this.#housekeeping = new Housekeeping({ db, config: cfg, metrics: this.metrics, log: log.child({ part: 'storage' }), now: this.#now })
    const roster = new Roster(new RosterStore(db), { now: this.#now })
    const rosterWatch = this.#rosterWatch = new RosterWatch({
      roster,
      sites: this.sites,
      store: forwardStore,
      unknown: cfg.roster.unknown,
      log: log.child({ part: 'roster' }),
      now: this.#now,
      released: () => this.#forwarder?.notify()
    })
    const clocks = this.#clocks = new DeviceClocks(id => devices.get(id)?.status)
    const flagger = new Flagger({ rules: cfg.rules, sites: this.sites, roster, clocks, history: new PunchHistory(db) })
    const keptDays = cfg.retention.deliveredDays
    if (keptDays > 0 && keptDays < 32 && cfg.rules.manualMonthlyLimit > 0) {
      // over-limit counts a month of a person's make-up punches; purged ones no longer count.
      log.warn({ deliveredDays: keptDays }, 'retention.deliveredDays is shorter than a month: the over-limit rule will undercount make-up punches')
    }
    // A restored (or emptied) file lacks punches devices were told are stored: ask them back (restore-resend.ts).
    const restoreResend = this.#restoreResend = new RestoreResend({
      db,
      log: log.child({ part: 'restore-resend' }),
      send: (device, command) => this.#publish(this.#topics.of(device, 'cmd'), encodeCommand(command)),
      now: this.#now,
      corruptKeptAs,
      statusOf: (id) => devices.get(id)?.status
    })

    if (cfg.upstream !== undefined) {
      const sink = createSink(cfg.upstream, { gatewayId: cfg.gatewayId, log: log.child({ part: 'sink', sink: cfg.upstream.kind }), now: this.#now })
      this.#watermarkFeed = new WatermarkFeed({
        sink,
        compute: () => this.watermarks(),
        intervalMs: cfg.watermark.intervalSeconds * 1000,
        timeoutMs: cfg.upstream.timeoutMs,
        log: log.child({ part: 'watermark' })
      })
      this.#forwarder = new Forwarder({
        store: forwardStore,
        sink,
        gatewayId: cfg.gatewayId,
        batchSize: cfg.forward.batchSize,
        lingerMs: cfg.forward.lingerMs,
        concurrency: cfg.forward.concurrency,
        backoff: { baseMs: cfg.forward.backoffBaseMs, capMs: cfg.forward.backoffCapMs },
        logger: log.child({ part: 'forwarder' }),
        now: this.#now,
        describe: (p) => rosterWatch.describe(p)
      })
      this.#forwarder.on('delivered', (n) => this.metrics.forwarded.inc(n))
      this.#forwarder.on('dead-letter', (n) => this.metrics.deadLetters.inc(n))
      this.#forwarder.on('parked', (n) => this.metrics.parked.inc(n))
      this.#forwarder.on('failure', (kind) => this.metrics.forwardFailures.inc({ class: kind }))
    } else {
      log.warn('no upstream configured: punches are stored and acknowledged, and will be forwarded once one is set')
    }

    const commit = this.#commit = new GroupCommit(db, punches, { flag: (row, received) => flagger.flag(row, received) }, (rows) => {
      this.metrics.commitRows.observe(rows)
      this.#forwarder?.notify()
    })
    const ingest = new Ingest({
      topics: this.#topics,
      commit,
      metrics: this.metrics,
      log: log.child({ part: 'ingest' }),
      sendAck: (device, payload) => this.#publish(this.#topics.of(device, 'acks'), payload),
      maxPayloadBytes: cfg.maxPayloadBytes,
      now: this.#now,
      accepting: () => upkeep.guard.reason,
      commitFailed: (err) => { upkeep.guard.noteWriteError(err) }
    })

    this.#registerGauges()
    const topics = this.#topics
    const metrics = this.metrics
    this.#broker = await startBroker({
      host: cfg.mqtt.host,
      plain: cfg.mqtt.plain,
      port: cfg.mqtt.port,
      maxPacketBytes: cfg.mqtt.maxPacketBytes,
      maxConnectBytes: cfg.mqtt.maxConnectBytes,
      maxPartialBytes: cfg.mqtt.maxPartialBytes,
      tls: tlsEnabled(cfg) ? cfg.mqtt.tls : undefined,
      onTlsError: (err: Error, socket: Socket) => {
        // Plain MQTT on the TLS port, a device that does not trust the certificate, a scanner: not the gateway's fault.
        metrics.refusedConnections.inc({ reason: 'tls' })
        log.debug({ remote: socket.remoteAddress, err: err.message }, 'TLS handshake failed')
      },
      onRefused: ({ reason, message }, socket: ConnectionSocket) => {
        metrics.refusedConnections.inc({ reason })
        log.warn({ remote: socket.remoteAddress, reason, message }, 'connection dropped: ' + message)
      },
      hooks: brokerHooks({
        topics,
        devices,
        allowAnonymous: cfg.allowAnonymous,
        metrics,
        log,
        punches: (device, payload, done) => ingest.handle(device, payload, done),
        status: (device, payload) => this.#onStatus(device, payload)
      })
    })
    const broker = this.#broker.broker
    broker.on('client', (client: Client) => {
      // A full disk must not crash the gateway from here: last-seen is bookkeeping, the punches are not.
      try { devices.seen(client.id, this.#now()) } catch (err) { log.warn({ err, client: client.id }, 'could not record last seen') }
    })
    broker.on('subscribe', (subs: Subscription[], client: Client) => {
      for (const s of subs) {
        if (s.topic === topics.of(client.id, 'cmd')) {
          // PROTOCOL.md: the time command is sent when a device comes online (= subscribes to its commands).
          this.#publish(s.topic, encodeCommand({ v: 1, op: 'time', now: this.#now() }))
          restoreResend.onConnect(client.id)
        }
      }
    })
    // Before authentication the id is whatever the client sent.
    broker.on('clientError', (client: Client, err: Error) => log.debug({ client: clientIdForLog(client.id ?? ''), err: err.message }, 'client error'))

    const health = this.#health = new HealthWatch({ db, config: cfg, guard: upkeep.guard, forwarder: this.#forwarder, metrics, log: log.child({ part: 'alarms' }), now: this.#now })
    const apiToken = resolveApiToken(cfg.http.token, cfg.dataDir)
    // Where the token is, never the token itself.
    if (apiToken.generated) log.info({ file: apiToken.file }, 'HTTP API token generated')
    else log.info({ file: apiToken.file ?? '(http.token or PUNCHLINE_API_TOKEN)' }, 'HTTP API token')
    this.#http = createHttpServer({
      ready: () => this.#ready,
      metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
      views: {
        '/api/devices': () => devices.list(),
        '/api/backlog': () => forwardStore.backlog(),
        '/api/dead-letters': () => forwardStore.listDeadLetters({ limit: 1000 }),
        '/api/watermarks': () => this.watermarks(),
        '/api/health': () => health.snapshot(),
        '/api/alarms': () => health.current()
      },
      log,
      token: apiToken.token,
      settings: cfg.http,
      refused: (reason) => metrics.httpRefused.inc({ reason })
    })
    await new Promise<void>((resolve, reject) => {
      this.#http!.once('error', reject)
      this.#http!.listen(cfg.http.port, cfg.http.host, () => resolve())
    })
    const httpAddress = this.#http.address()
    const httpPort = typeof httpAddress === 'object' && httpAddress !== null ? httpAddress.port : cfg.http.port

    this.#forwarder?.start()
    rosterWatch.start()
    this.#watermarkFeed?.start()
    this.#scheduleBackups()
    upkeep.start()
    health.start()
    this.#ready = true
    const tls = this.#broker.tls
    if (tls !== undefined) this.#reportCertificate(tls.certificate, 'TLS listener serving certificate')
    const addresses: GatewayAddresses = { mqttPort: this.#broker.port, ...(tls === undefined ? {} : { mqttsPort: tls.port }), httpHost: cfg.http.host, httpPort }
    // The ready line names only the listeners that are open.
    const { mqttPort, ...others } = addresses
    log.info({ ...(cfg.mqtt.plain ? { mqttPort } : {}), ...others, data: cfg.dataDir, upstream: cfg.upstream?.url, allowAnonymous: cfg.allowAnonymous, gateway: cfg.gatewayId }, 'gateway ready')
    if (secretsInClearText(cfg)) {
      log.warn({ mqttPort, mqttsPort: tls?.port },
        'device secrets travel in clear text: the plain MQTT listener is open and devices log in with their secrets. Move devices to mqtts and set mqtt.plain false (punchline gateway --init makes a CA and a certificate)')
    }
    if (cfg.allowAnonymous) log.warn('anonymous devices allowed (--allow-anonymous): any client id may connect; use only in a lab')
    return addresses
  }

  /**
   * Locks the data directory for this gateway's life, then opens its database. A file SQLite finds damaged
   * is moved aside and the gateway starts on a new one, with a critical alarm kept in it until an operator
   * acts (store/moved-aside.ts). Anything else that keeps the file from opening (a lock held by another
   * process, a full disk, a read-only mount...) ends the start with StoreUnavailable, the file untouched.
   */
  #openStore (file: string): { db: Db, corruptKeptAs: string | undefined } {
    const cfg = this.config
    const busyMs = DEFAULT_BUSY_TIMEOUT_MS
    let lock: DataDirLock
    try {
      lock = this.#dirLock = DataDirLock.acquire(cfg.dataDir, 'gateway',
        'two gateways on one data directory would both write its database; stop the other one, or give this one its own --data', this.#now())
    } catch (err) {
      // The lock file cannot be made (a read-only mount, a full disk): the database could not be written either.
      throw err instanceof DataDirInUse || errorCode(err) === undefined ? err : storeUnavailable(file, err, busyMs)
    }
    try {
      let moved: MovedAside | undefined
      if (existsSync(file)) {
        const found = inspectDatabase(file, 'quick', busyMs)
        if (found.state === 'unreadable') throw storeUnavailable(file, found.error, busyMs)
        if (found.state === 'damaged') moved = this.#moveAside(file, found.problem)
      }
      let db: Db | undefined
      try {
        db = openDatabase(file, { busyTimeoutMs: busyMs })
        proveWritable(db)
      } catch (err) {
        db?.close()
        // A refused start changes nothing: the damaged file goes back, to be found and recorded next time.
        if (moved !== undefined) moveBack(moved.keptAs, file)
        throw errorCode(err) === undefined ? err : storeUnavailable(file, err, busyMs)
      }
      if (moved !== undefined) {
        recordMovedAside(db, moved)
        salvageFromNewestBackup(db, backupDir(cfg), this.#log)
      }
      return { db, corruptKeptAs: moved?.keptAs }
    } catch (err) {
      lock.release()
      this.#dirLock = undefined
      throw err
    }
  }

  #moveAside (file: string, problem: string): MovedAside {
    const cfg = this.config
    const at = this.#now()
    // A crash loop on a damaged file helps no one: keep it for recovery, start on a new one, say so loudly.
    const keptAs = moveAside(file, `corrupt-${fileStamp(at)}`)
    const newest = listBackups(backupDir(cfg)).at(-1)
    const dataDir = resolve(cfg.dataDir)
    const restore = newest === undefined ? null : `punchline restore ${newest.path} --data ${dataDir}`
    const ack = `punchline alarms ack database-moved-aside --data ${dataDir}`
    const what = restore !== null
      ? `To bring back what the newest backup holds (taken ${new Date(newest!.at).toISOString()}), stop the gateway and run: ${restore}`
      : `No backup exists in ${backupDir(cfg)}, so punchline restore has nothing to bring back; recover what you can from the kept file, then: ${ack}`
    this.#log.error({ file, keptAs, problem, backup: newest?.path ?? null, restore, alarm: 'database-moved-aside' },
      `database failed its integrity check: moved aside to ${keptAs}, starting on an empty database (alarm database-moved-aside until you act). Devices resend what they still hold. ${what}`)
    return { at, keptAs, problem, restore }
  }

  /** Takes an online backup now (also what the schedule runs). */
  async backup (): Promise<string> {
    const cfg = this.config
    const info = await backupDatabase(this.db, backupDir(cfg), cfg.backup.keep, this.#now())
    this.#log.info({ path: info.path, bytes: info.bytes }, 'backup taken')
    return info.path
  }

  /**
   * Serves the certificate and key files as they are now to new connections (SIGHUP). ACME renewals
   * replace them every 60-90 days and devices should not lose their connections to a restart for it.
   * A file that cannot be read keeps the current certificate and logs why.
   */
  reloadTls (): void {
    const tls = this.#broker?.tls
    if (tls === undefined) {
      this.#log.info('no TLS listener: nothing to reload')
      return
    }
    try {
      this.#reportCertificate(tls.reload(), 'TLS certificate reloaded')
    } catch (err) {
      this.#log.error({ err: (err as Error).message, validTo: tls.certificate.validTo }, 'TLS certificate reload failed: still serving the previous certificate')
    }
  }

  #reportCertificate (certificate: X509Certificate, msg: string): void {
    const info = describeCertificate(certificate, this.#now())
    this.#log.info(info, msg)
    if (info.daysLeft < 0) {
      this.#log.error(info, 'TLS certificate has expired: devices refuse it; renew it and send SIGHUP')
    } else if (info.daysLeft < 30) {
      this.#log.warn(info, 'TLS certificate expires within 30 days: renew it and send SIGHUP')
    }
  }

  #scheduleBackups (): void {
    const hours = this.config.backup.intervalHours
    if (hours === 0) return
    this.#backupTimer = setInterval(() => {
      this.backup().catch((err: Error) => this.#log.error({ err }, 'scheduled backup failed; the previous backups are kept'))
    }, hours * 3_600_000)
    this.#backupTimer.unref()
  }

  /**
   * A connection from inside this process (the simulator's in-process site links, sim/memory-link.ts),
   * handled like one accepted on the MQTT port. Before start or after stop it is closed at once.
   */
  acceptConnection (socket: ConnectionSocket): void {
    if (!this.#ready || this.#broker === undefined) {
      socket.destroy()
      return
    }
    this.#broker.accept(socket)
  }

  #flushActivity (): void {
    try {
      this.#devices?.flush()
    } catch (err) {
      // Kept for the next flush; the punches do not depend on it.
      this.#log.warn({ err: (err as Error).message }, 'could not record device last-seen times and statuses; will retry')
    }
  }

  /**
   * Ends the gateway as a `kill -9` would, for the simulator's crash fault (one process cannot kill its
   * own gateway and live): nothing queued is committed or acknowledged, requests upstream are cut off,
   * connections drop without a word, last-seen times not yet written are lost, and the pid file stays.
   * What was committed is on disk, as after a real crash; the next start finds it. Not for production
   * use: stop() is the way to end a gateway.
   */
  async abort (): Promise<void> {
    this.#stopTimers()
    const dropped = this.#commit?.discard() ?? 0
    await this.#forwarder?.abort()
    this.#stopListening()
    await this.#broker?.close()
    this.#commit?.discard()
    this.#http?.closeAllConnections()
    this.#http?.close()
    await this.#housekeeping?.stop()
    this.#db?.close()
    // The kernel drops a killed process's lock; this process lives on and may start a gateway here again.
    this.#dirLock?.release()
    this.#log.warn({ droppedRows: dropped }, 'gateway aborted (simulated crash): queued punches dropped unacknowledged')
  }

  /** Not ready any more, and nothing runs on a timer. */
  #stopTimers (): void {
    this.#ready = false
    clearInterval(this.#backupTimer)
    clearInterval(this.#activityTimer)
    this.#rosterWatch?.stop()
    this.#watermarkFeed?.stop()
    this.#health?.stop()
  }

  /** No new connections on the MQTT listeners (open ones stay until the broker closes). */
  #stopListening (): void {
    const broker = this.#broker
    if (broker === undefined) return
    if (broker.server?.listening === true) broker.server.close()
    if (broker.tls?.server.listening === true) broker.tls.server.close()
  }

  async stop (): Promise<void> {
    this.#stopTimers()
    await this.#housekeeping?.stop()
    const log = this.#log
    // Stop accepting connections and commit what is queued, so its PUBACKs and acks go out; then end every
    // connection (what a device has not had acknowledged it keeps, and sends to the next gateway).
    const broker = this.#broker
    this.#stopListening()
    this.#commit?.flush()
    await new Promise<void>(resolve => setImmediate(resolve))
    await this.#forwarder?.stop()
    await broker?.close()
    await new Promise<void>(resolve => {
      if (this.#http === undefined) return resolve()
      this.#http.close(() => resolve())
      this.#http.closeAllConnections()
    })
    this.#commit?.flush()
    this.#flushActivity()
    this.#db?.close()
    rmSync(join(this.config.dataDir, 'gateway.pid'), { force: true })
    this.#dirLock?.release()
    log.info('gateway stopped')
  }

  /** Per device and per site: every punch taken before this has been delivered upstream (store/watermark.ts). */
  watermarks (): Watermarks {
    // Device statuses are part of a watermark: what was received must be in the file first.
    this.#flushActivity()
    const clients = (this.#broker?.broker as unknown as { clients?: Record<string, unknown> } | undefined)?.clients ?? {}
    return computeWatermarks(this.db, {
      gatewayId: this.config.gatewayId,
      siteOf: (d) => this.sites.of(d).site,
      connected: (d) => clients[d] !== undefined,
      now: this.#now()
    })
  }

  #publish (topic: string, payload: string): void {
    this.#broker?.broker.publish({
      cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false
    } as PublishPacket, (err?: Error) => {
      if (err != null) this.#log.warn({ err, topic }, 'publish to device failed')
    })
  }

  /** statuses a device can repeat as fast as it publishes: one line per device and field per window */
  #statusLog?: LogLimiter

  #onStatus (device: string, payload: Buffer): void {
    const decoded = decodeStatus(payload)
    if (!decoded.ok) {
      this.metrics.rejects.inc({ field: 'status' })
      if (decoded.tooLarge === true) this.metrics.payloadsTooLarge.inc({ channel: 'status' })
      this.#statusLog ??= new LogLimiter({ log: this.#log, suppressed: (kind) => this.metrics.logSuppressed.inc({ kind }), now: this.#now })
      this.#statusLog.write('warn', { kind: 'status-unreadable', device, detail: fieldOf(decoded.error) },
        { device, error: decoded.error, bytes: payload.length }, 'unreadable status')
      return
    }
    try {
      this.#devices?.saveStatus(device, decoded.status, this.#now())
    } catch (err) {
      this.#log.warn({ err, device }, 'could not save the device status')
    }
    this.#clocks?.update(device, decoded.status)
    this.#restoreResend?.onStatus(device, decoded.status)
  }

  #registerGauges (): void {
    const m = this.metrics
    m.gauge('punchline_ingest_queued_rows', 'Rows waiting for the next group commit', () => this.#commit?.stats.queuedRows ?? 0)
    m.gauge('punchline_clients_connected_now', 'MQTT clients connected', () => this.#broker?.broker.connectedClients ?? 0)
    m.gauge('punchline_forward_backlog_punches', 'Stored punches not yet accepted upstream', () => this.#forwardStore?.backlog().pendingPunches ?? 0)
    m.gauge('punchline_forward_oldest_pending_age_seconds', 'Age of the oldest punch not yet accepted upstream', () => {
      const oldest = this.#forwardStore?.oldestPendingReceived()
      return oldest == null ? 0 : (this.#now() - oldest) / 1000
    })
  }
}
