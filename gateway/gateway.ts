/**
 * One gateway process: embedded broker, SQLite store, ingest, forwarder and HTTP, wired together.
 * `start()` resolves once everything listens; `stop()` drains in-flight work: pending commits are
 * committed and acknowledged, in-flight upstream sends are awaited, then sockets and the database close.
 */
import type { Server } from 'node:http'
import type { Socket } from 'node:net'
import type { AedesPublishPacket, Client, PublishPacket, Subscription } from 'aedes'
import { Topics } from '../shared/topics.js'
import { decodeStatus } from '../shared/codec/status.js'
import { encodeCommand } from '../shared/codec/command.js'
import type { Logger } from '../shared/log.js'
import { backupDir, databasePath, type GatewayConfig } from './config.js'
import { backupDatabase, checkIntegrity, fileStamp, moveAside } from './store/backup.js'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openDatabase, type Db } from './store/db.js'
import { PunchStore } from './store/punch-store.js'
import { DeviceStore } from './store/device-store.js'
import { ForwardStore } from './store/forward-store.js'
import { GroupCommit } from './ingest/group-commit.js'
import { Ingest } from './ingest/ingest.js'
import { GatewayMetrics } from './metrics.js'
import { createAuthenticate } from './broker/auth.js'
import { mayPublish, maySubscribe, ownTopic } from './broker/acl.js'
import { startBroker, type BrokerHandle } from './broker/broker.js'
import { createHttpServer } from './http/server.js'
import { Forwarder } from './forward/forwarder.js'
import { WebhookSink } from './forward/webhook-sink.js'

export interface GatewayAddresses {
  mqttPort: number
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
  #devices?: DeviceStore
  #forwardStore?: ForwardStore
  #commit?: GroupCommit
  #forwarder?: Forwarder
  #broker?: BrokerHandle
  #http?: Server
  #ready = false
  #backupTimer?: NodeJS.Timeout

  constructor (config: GatewayConfig, deps: GatewayDeps) {
    this.config = config
    this.#log = deps.log
    this.#now = deps.now ?? Date.now
    this.#topics = new Topics(config.topicPrefix)
  }

  get db (): Db {
    if (this.#db === undefined) throw new Error('gateway not started')
    return this.#db
  }

  async start (): Promise<GatewayAddresses> {
    const cfg = this.config
    const log = this.#log
    const file = databasePath(cfg)
    if (existsSync(file)) {
      const problem = checkIntegrity(file, 'quick')
      if (problem !== undefined) {
        // A crash loop on a damaged file helps no one: keep it for recovery, start on a new one, say so loudly.
        const keptAs = moveAside(file, `corrupt-${fileStamp(this.#now())}`)
        log.error({ file, keptAs, problem, backups: backupDir(cfg) },
          'database failed its integrity check: moved aside, starting on an empty database. Devices resend what they still hold; to bring back older punches stop the gateway and run punchline restore with the newest backup')
      }
    }
    const db = this.#db = openDatabase(file)
    // Tells `punchline restore` that a gateway has this data dir open (removed on a clean stop).
    writeFileSync(join(cfg.dataDir, 'gateway.pid'), String(process.pid))
    const devices = this.#devices = new DeviceStore(db)
    const punches = new PunchStore(db)
    const forwardStore = this.#forwardStore = new ForwardStore(db)

    if (cfg.upstream !== undefined) {
      this.#forwarder = new Forwarder({
        store: forwardStore,
        sink: new WebhookSink({ url: cfg.upstream.url, token: cfg.upstream.token, timeoutMs: cfg.upstream.timeoutMs }),
        gatewayId: cfg.gatewayId,
        batchSize: cfg.forward.batchSize,
        lingerMs: cfg.forward.lingerMs,
        concurrency: cfg.forward.concurrency,
        backoff: { baseMs: cfg.forward.backoffBaseMs, capMs: cfg.forward.backoffCapMs },
        logger: log.child({ part: 'forwarder' }),
        now: this.#now
      })
      this.#forwarder.on('delivered', (n) => this.metrics.forwarded.inc(n))
      this.#forwarder.on('dead-letter', (n) => this.metrics.deadLetters.inc(n))
      this.#forwarder.on('failure', (kind) => this.metrics.forwardFailures.inc({ class: kind }))
    } else {
      log.warn('no upstream configured: punches are stored and acknowledged, and will be forwarded once one is set')
    }

    const commit = this.#commit = new GroupCommit(db, punches, {}, (rows) => {
      this.metrics.commitRows.observe(rows)
      this.#forwarder?.notify()
    })
    const ingest = new Ingest({
      topics: this.#topics,
      commit,
      rules: cfg.rules,
      metrics: this.metrics,
      log: log.child({ part: 'ingest' }),
      sendAck: (device, payload) => this.#publish(this.#topics.of(device, 'acks'), payload),
      maxPayloadBytes: cfg.maxPayloadBytes,
      now: this.#now
    })

    this.#registerGauges()
    const topics = this.#topics
    const metrics = this.metrics
    this.#broker = await startBroker({
      host: cfg.mqtt.host,
      port: cfg.mqtt.port,
      maxPacketBytes: cfg.mqtt.maxPacketBytes,
      onOversize: (message: string, socket: Socket) => {
        metrics.refusedConnections.inc({ reason: 'packet_too_large' })
        log.warn({ remote: socket.remoteAddress, message }, 'connection dropped: packet too large')
      },
      hooks: {
        authenticate: createAuthenticate({ devices, allowAnonymous: cfg.allowAnonymous, metrics, log }),
        authorizePublish (client: Client | null, packet: PublishPacket, cb: (err?: Error | null) => void) {
          if (client === null) {
            // A last will, published by the broker for a client that went away; only status wills exist.
            return cb(topics.parse(packet.topic)?.channel === 'status' ? null : new Error('will not allowed'))
          }
          const own = ownTopic(topics, client, packet.topic)
          if (!mayPublish(own)) {
            metrics.deniedTopics.inc({ action: 'publish' })
            log.warn({ client: client.id, topic: packet.topic }, 'publish refused by ACL')
            return cb(new Error('not authorized to publish on ' + packet.topic))
          }
          if (own!.channel === 'punches') return ingest.handle(own!.device, packet.payload as Buffer, cb)
          cb(null)
        },
        authorizeSubscribe (client: Client, sub: Subscription, cb: (err: Error | null, sub?: Subscription | null) => void) {
          if (maySubscribe(topics, client, sub)) return cb(null, sub)
          metrics.deniedTopics.inc({ action: 'subscribe' })
          log.warn({ client: client.id, topic: sub.topic }, 'subscription refused by ACL')
          cb(null, null)
        },
        published: (packet: AedesPublishPacket, client: Client | null, cb: (err?: Error | null) => void) => {
          if (client != null) this.#onPublished(packet, client)
          cb(null)
        }
      }
    })
    const broker = this.#broker.broker
    broker.on('client', (client: Client) => devices.seen(client.id, this.#now()))
    broker.on('subscribe', (subs: Subscription[], client: Client) => {
      for (const s of subs) {
        if (s.topic === topics.of(client.id, 'cmd')) {
          // PROTOCOL.md: the time command is sent when a device comes online (= subscribes to its commands).
          this.#publish(s.topic, encodeCommand({ v: 1, op: 'time', now: this.#now() }))
        }
      }
    })
    broker.on('clientError', (client: Client, err: Error) => log.debug({ client: client.id, err: err.message }, 'client error'))

    this.#http = createHttpServer({
      ready: () => this.#ready,
      metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
      views: {
        '/api/devices': () => devices.list(),
        '/api/backlog': () => forwardStore.backlog(),
        '/api/dead-letters': () => forwardStore.listDeadLetters({ limit: 1000 })
      },
      log
    })
    await new Promise<void>((resolve, reject) => {
      this.#http!.once('error', reject)
      this.#http!.listen(cfg.http.port, cfg.http.host, () => resolve())
    })
    const httpAddress = this.#http.address()
    const httpPort = typeof httpAddress === 'object' && httpAddress !== null ? httpAddress.port : cfg.http.port

    this.#forwarder?.start()
    this.#scheduleBackups()
    this.#ready = true
    const addresses = { mqttPort: this.#broker.port, httpPort }
    log.info({ ...addresses, data: cfg.dataDir, upstream: cfg.upstream?.url, allowAnonymous: cfg.allowAnonymous, gateway: cfg.gatewayId }, 'gateway ready')
    if (cfg.allowAnonymous) log.warn('anonymous devices allowed (--allow-anonymous): any client id may connect; use only in a lab')
    return addresses
  }

  /** Takes an online backup now (also what the schedule runs). */
  async backup (): Promise<string> {
    const cfg = this.config
    const info = await backupDatabase(this.db, backupDir(cfg), cfg.backup.keep, this.#now())
    this.#log.info({ path: info.path, bytes: info.bytes }, 'backup taken')
    return info.path
  }

  #scheduleBackups (): void {
    const hours = this.config.backup.intervalHours
    if (hours === 0) return
    this.#backupTimer = setInterval(() => {
      this.backup().catch((err: Error) => this.#log.error({ err }, 'scheduled backup failed; the previous backups are kept'))
    }, hours * 3_600_000)
    this.#backupTimer.unref()
  }

  async stop (): Promise<void> {
    this.#ready = false
    clearInterval(this.#backupTimer)
    const log = this.#log
    // Stop accepting connections, commit what is queued (its PUBACKs and acks go out), then close.
    await new Promise<void>(resolve => {
      if (this.#broker === undefined) return resolve()
      this.#broker.server.close(() => resolve())
      this.#commit?.flush()
    })
    await this.#forwarder?.stop()
    await this.#broker?.close()
    await new Promise<void>(resolve => {
      if (this.#http === undefined) return resolve()
      this.#http.close(() => resolve())
      this.#http.closeAllConnections()
    })
    this.#commit?.flush()
    this.#db?.close()
    rmSync(join(this.config.dataDir, 'gateway.pid'), { force: true })
    log.info('gateway stopped')
  }

  #publish (topic: string, payload: string): void {
    this.#broker?.broker.publish({
      cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false
    } as PublishPacket, (err?: Error) => {
      if (err != null) this.#log.warn({ err, topic }, 'publish to device failed')
    })
  }

  #onPublished (packet: AedesPublishPacket, client: Client): void {
    const own = ownTopic(this.#topics, client, packet.topic)
    if (own?.channel !== 'status') return
    const decoded = decodeStatus(packet.payload as Buffer)
    if (!decoded.ok) {
      this.metrics.rejects.inc({ field: 'status' })
      this.#log.warn({ device: own.device, error: decoded.error }, 'unreadable status')
      return
    }
    this.#devices?.saveStatus(own.device, decoded.status, this.#now())
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
