/**
 * The device's way to the gateway (docs/ARCHITECTURE.md, decision 3: the ring is the backlog). While
 * connected it publishes batches straight from the ring, newest first by default, with a bounded number of
 * batches in flight; nothing is ever queued inside the MQTT client. A slot is freed only when the gateway's
 * ack lists its seq. Reconnects back off with full jitter, capped so the device notices its network is back
 * within the cap (`backoff.capMs`, 10 s by default); `syncNow()` skips the wait.
 *
 * Each connection attempt uses a fresh MQTT.js client with its own reconnect disabled: MQTT.js reconnects
 * on a fixed period and replays its own store one message at a time
 * (docs/DESIGN-NOTES.md, "MQTT.js: fixed reconnect, a slow offline store"); the ring does better.
 */
import { EventEmitter } from 'node:events'
import mqtt, { type IClientOptions } from 'mqtt'
import { Topics } from '../shared/topics.js'
import { encodeBatch } from '../shared/codec/batch.js'
import { decodeAck, isErrorAck, type Ack, type BatchAck } from '../shared/codec/ack.js'
import { decodeCommand, type Command } from '../shared/codec/command.js'
import { encodeStatus, OFFLINE_WILL, type DeviceStatus } from '../shared/codec/status.js'
import { retryDelay, type BackoffPolicy } from '../shared/backoff.js'
import { rangesContain, countInRanges } from '../shared/ranges.js'
import type { Punch } from '../shared/punch.js'
import type { Logger } from '../shared/log.js'
import type { Ring } from './ring/index.js'
import type { UplinkConnect } from './uplink-client.js'
import { UplinkSession, type InFlight } from './uplink-session.js'

export interface UplinkOptions {
  url: string
  /**
   * the other nodes of a clustered broker: after a failed attempt or a lost connection the next attempt
   * goes to the next URL of [url, ...failoverUrls], in turn (a broker without MQTT 5 server redirection,
   * such as NATS, tells a client of no other node)
   */
  failoverUrls?: string[]
  deviceId: string
  secret?: string
  ring: Ring
  topicPrefix?: string
  /** punches per message, at most LIMITS.maxPunchesPerBatch (docs/PROTOCOL.md, "Punch batch") */
  batchSize?: number
  /** batches published and not yet acknowledged, at most */
  window?: number
  order?: 'newest' | 'oldest'
  /** a batch unacknowledged this long is sent again (the gateway dedups) */
  ackTimeoutMs?: number
  /** how long one connection attempt waits for the gateway's CONNACK before it gives up and backs off */
  connectTimeoutMs?: number
  backoff?: BackoffPolicy
  statusIntervalMs?: number
  /** the device's UTC offset in minutes, sent with each batch */
  tz?: number
  fw?: string
  log: Logger
  now?: () => number
  random?: () => number
  /** status fields only the runtime knows (clock, battery) */
  statusExtras?: () => Partial<DeviceStatus>
  /** extra MQTT.js options (TLS material, keepalive) */
  mqttOptions?: IClientOptions
  /**
   * after connecting, how long to wait for the gateway's time command before uploading (0 = not at all):
   * a clock correction then reaches the gateway in a status before the punches it concerns, so the
   * gateway can flag those clock-skew
   */
  timeWaitMs?: number
  /**
   * opens one connection (default: MQTT.js's `mqtt.connect`); the simulator passes a lighter client so
   * thousands of devices run this same uplink in one process (uplink-client.ts)
   */
  connect?: UplinkConnect
}

export interface UplinkStats {
  connects: number
  disconnects: number
  batchesSent: number
  punchesAcked: number
  punchesRejected: number
  errorAcks: number
  ackTimeouts: number
}

/** how long stop() waits for the offline status and a clean disconnect before cutting the connection */
const STOP_GRACE_MS = 2000

/**
 * How long a connection attempt waits for its CONNACK. After a site outage every device reconnects at
 * once, and the gateway admits them at the pace it takes their backlogs: a device that gives up early
 * goes back to the end of the queue and the gateway still spends a connect on the attempt it abandoned.
 * Hence MQTT.js's own default, 30 s, rather than a shorter wait: docs/DESIGN-NOTES.md ("The device uplink
 * uses a fresh MQTT.js client per connection") has the drain that showed it, and docs/BENCHMARKS.md
 * ("Post-outage drain") today's attempts per device. A gateway that is down refuses at once, so this only
 * ever waits on one that is up and busy.
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000

export class Uplink extends EventEmitter {
  readonly #o: Required<Omit<UplinkOptions, 'secret' | 'tz' | 'statusExtras' | 'mqttOptions' | 'fw' | 'connect' | 'failoverUrls'>> & UplinkOptions
  /** url, then the failover URLs: the attempt after a failure goes to the next */
  readonly #brokers: string[]
  #broker = 0
  readonly #topics: Topics
  readonly #acksTopic: string
  readonly #cmdTopic: string
  readonly #statusTopic: string
  /** the current connection (uplink-session.ts) */
  #session?: UplinkSession
  #running = false
  #attempt = 0
  #reconnectTimer?: NodeJS.Timeout
  #batchCounter = 0
  /** explicit groups to send before anything else: halves of a batch the gateway could not read, resends */
  readonly #priority: number[][] = []
  readonly stats: UplinkStats = { connects: 0, disconnects: 0, batchesSent: 0, punchesAcked: 0, punchesRejected: 0, errorAcks: 0, ackTimeouts: 0 }

  constructor (opts: UplinkOptions) {
    super()
    // Every option named, not merged in a loop (shared/options.ts): an object built key by key becomes a
    // dictionary with a map of its own, and a simulator runs ten thousand uplinks in one process.
    this.#o = {
      url: opts.url,
      failoverUrls: opts.failoverUrls,
      deviceId: opts.deviceId,
      secret: opts.secret,
      ring: opts.ring,
      topicPrefix: opts.topicPrefix ?? 'att/v1',
      batchSize: opts.batchSize ?? 100,
      window: opts.window ?? 4,
      order: opts.order ?? 'newest',
      ackTimeoutMs: opts.ackTimeoutMs ?? 30_000,
      connectTimeoutMs: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      backoff: opts.backoff ?? { baseMs: 500, capMs: 10_000 },
      statusIntervalMs: opts.statusIntervalMs ?? 60_000,
      tz: opts.tz,
      fw: opts.fw,
      log: opts.log,
      now: opts.now ?? Date.now,
      random: opts.random ?? Math.random,
      statusExtras: opts.statusExtras,
      mqttOptions: opts.mqttOptions,
      timeWaitMs: opts.timeWaitMs ?? 1000,
      connect: opts.connect
    }
    if (this.#o.batchSize < 1 || this.#o.batchSize > 500) throw new Error('batchSize: must be between 1 and 500')
    if (this.#o.window < 1) throw new Error('window: must be at least 1')
    this.#brokers = [opts.url, ...(opts.failoverUrls ?? [])]
    this.#topics = new Topics(this.#o.topicPrefix)
    this.#acksTopic = this.#topics.of(opts.deviceId, 'acks')
    this.#cmdTopic = this.#topics.of(opts.deviceId, 'cmd')
    this.#statusTopic = this.#topics.of(opts.deviceId, 'status')
  }

  get connected (): boolean { return this.#session?.online ?? false }
  get inFlightBatches (): number { return this.#session?.inFlightBatches ?? 0 }

  start (): void {
    if (this.#running) return
    this.#running = true
    this.#connect()
  }

  /** Operator's "sync now": reconnect at once if offline, publish at once if online. */
  syncNow (): void {
    if (!this.#running) return
    if (this.connected) { this.kick(); return }
    clearTimeout(this.#reconnectTimer)
    this.#attempt = 0
    this.#connect()
  }

  /** New punches are in the ring. */
  kick (): void {
    if (this.connected) this.#pump()
  }

  async stop (): Promise<void> {
    this.#running = false
    clearTimeout(this.#reconnectTimer)
    const session = this.#session
    this.#session = undefined
    if (session === undefined) return
    session.end()
    const client = session.client
    // A clean disconnect: publish offline status ourselves, since the broker sends the will only on loss.
    // Bounded: on a link that died a moment ago the client may still think it is connected, and neither
    // the PUBACK nor a clean end would ever come; stopping must not hang on the network.
    const graceful = (async () => {
      if (client.connected) {
        await new Promise<void>(resolve => client.publish(this.#statusTopic, encodeStatus(OFFLINE_WILL), { qos: 1, retain: true }, () => resolve()))
      }
      await new Promise<void>(resolve => client.end(false, {}, () => resolve()))
    })()
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>(resolve => { timer = setTimeout(() => resolve('late'), STOP_GRACE_MS) })
    if (await Promise.race([graceful, late]) === 'late') {
      await new Promise<void>(resolve => client.end(true, {}, () => resolve()))
    }
    clearTimeout(timer)
  }

  status (): DeviceStatus {
    const r = this.#o.ring.stats()
    return {
      v: 1,
      online: true,
      fw: this.#o.fw,
      epoch: this.#o.ring.epoch,
      ring: { capacity: r.capacity, pending: r.pending, oldestPendingTs: r.oldestPendingTs, overwritten: r.overwritten, refused: r.refused, expired: r.expired, rejected: r.rejected },
      ...this.#o.statusExtras?.()
    }
  }

  publishStatus (): void {
    const session = this.#session
    if (session === undefined || !session.online) return
    session.client.publish(this.#statusTopic, encodeStatus(this.status()), { qos: 1, retain: true })
  }

  #connect (): void {
    if (!this.#running) return
    const o = this.#o
    const url = this.#brokers[this.#broker]
    const client = (o.connect ?? mqtt.connect)(url, {
      ...o.mqttOptions,
      protocolVersion: 4,
      clientId: o.deviceId,
      username: o.secret === undefined ? undefined : o.deviceId,
      password: o.secret,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: o.connectTimeoutMs,
      keepalive: o.mqttOptions?.keepalive ?? 30,
      queueQoSZero: false,
      will: { topic: this.#statusTopic, payload: Buffer.from(encodeStatus(OFFLINE_WILL)), qos: 1, retain: true }
    })
    // syncNow may start an attempt while one is still connecting: that one is left behind.
    this.#session?.end()
    const session = this.#session = new UplinkSession(client)
    client.on('connect', () => {
      if (session.ended) return
      ;(client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true)
      client.subscribe([this.#acksTopic, this.#cmdTopic], { qos: 1 }, (err, granted) => {
        if (session.ended) return
        if (err != null || granted?.some(g => g.qos === 128) === true) {
          o.log.error({ err: err?.message, granted }, 'gateway refused our subscriptions; reconnecting')
          client.end(true)
          return
        }
        session.online = true
        this.#attempt = 0
        this.stats.connects++
        o.log.info({ url }, 'connected to gateway')
        this.emit('online')
        this.publishStatus()
        session.statusTimer = setInterval(() => this.publishStatus(), o.statusIntervalMs).unref()
        // The gateway sends the time when we subscribe; it may have arrived before the SUBACK already.
        if (!session.timeSettled && o.timeWaitMs > 0) {
          session.timeGate = setTimeout(() => { session.settleTime(); this.#pump() }, o.timeWaitMs)
        } else {
          session.settleTime()
          this.#pump()
        }
      })
    })
    client.on('message', (topic: string, payload: Buffer) => {
      if (session.ended) return
      if (topic === this.#acksTopic) {
        const decoded = decodeAck(payload)
        if (decoded.ok) this.#onAck(session, decoded.ack); else this.#unreadable('ack', decoded.error)
      } else if (topic === this.#cmdTopic) {
        const decoded = decodeCommand(payload)
        if (decoded.ok) this.#onCommand(session, decoded.command); else this.#unreadable('command', decoded.error)
      }
    })
    client.on('error', (err: Error) => {
      o.log.warn({ err: err.message }, 'mqtt error')
    })
    client.on('close', () => {
      if (session.ended) return
      const was = session.online
      session.end()
      this.#session = undefined
      client.removeAllListeners('message')
      client.end(true)
      if (was) {
        this.stats.disconnects++
        o.log.warn({ url }, 'disconnected from gateway')
        this.emit('offline')
      }
      // That broker failed or dropped us: the next attempt goes to the next one of a cluster.
      this.#broker = (this.#broker + 1) % this.#brokers.length
      this.#scheduleReconnect()
    })
  }

  #scheduleReconnect (): void {
    if (!this.#running) return
    const delay = retryDelay(this.#attempt++, this.#o.backoff, this.#o.random)
    clearTimeout(this.#reconnectTimer)
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay)
  }

  #pump (): void {
    const o = this.#o
    const session = this.#session
    if (session === undefined || !session.timeSettled) return
    while (session.online && session.inFlightBatches < o.window) {
      let punches: Punch[]
      const group = this.#priority.shift()
      if (group !== undefined) {
        punches = o.ring.read(group)
        if (punches.length === 0) continue
      } else {
        punches = o.ring.pending({ order: o.order, limit: o.batchSize, exclude: (seq) => session.isInFlight(seq) })
        if (punches.length === 0) {
          if (session.inFlightBatches === 0) this.emit('drained')
          return
        }
      }
      const id = 'b-' + (++this.#batchCounter).toString(36)
      const seqs = punches.map(p => p.seq)
      session.sent(id, seqs, setTimeout(() => this.#onAckTimeout(session, id), o.ackTimeoutMs))
      this.stats.batchesSent++
      session.client.publish(this.#topics.of(o.deviceId, 'punches'), encodeBatch({ v: 1, id, epoch: o.ring.epoch, tz: o.tz, punches }), { qos: 1 })
    }
  }

  #onAckTimeout (session: UplinkSession, id: string): void {
    if (session.release(id) === undefined) return
    this.stats.ackTimeouts++
    this.#o.log.warn({ batch: id }, 'no ack in time; the batch will be sent again')
    this.#pump()
  }

  /** A message from the gateway this device cannot read: said, and otherwise ignored (the gateway's is the newer contract). */
  #unreadable (what: 'ack' | 'command', error: string): void {
    this.#o.log.warn({ error }, what === 'ack' ? 'unreadable ack from gateway' : 'unreadable command')
  }

  #onAck (session: UplinkSession, ack: Ack): void {
    const o = this.#o
    const f = ack.id === undefined ? undefined : session.release(ack.id)
    if (isErrorAck(ack)) {
      this.stats.errorAcks++
      this.#onErrorAck(ack.error, f)
    } else if (ack.epoch === o.ring.epoch) {
      this.#applyAck(ack, f)
    }
    this.#pump()
  }

  #applyAck (ack: BatchAck, f: InFlight | undefined): void {
    const o = this.#o
    let acked: number[]
    if (f !== undefined) {
      acked = f.seqs.filter(s => rangesContain(ack.ok, s))
    } else if (countInRanges(ack.ok) <= o.batchSize * o.window) {
      // A late ack for a batch we already gave up on: still frees what it lists, within a sane bound.
      acked = []
      for (const [a, b] of ack.ok) for (let s = a; s <= b; s++) acked.push(s)
    } else {
      acked = []
    }
    const rejectedSeqs = ack.rejected.map(r => r.seq)
    o.ring.markAcked(acked)
    if (rejectedSeqs.length > 0) {
      o.ring.markRejected(rejectedSeqs)
      for (const r of ack.rejected) o.log.error({ seq: r.seq, reason: r.reason }, 'gateway rejected a punch for good')
      this.emit('rejected', ack.rejected)
    }
    this.stats.punchesAcked += acked.length
    this.stats.punchesRejected += rejectedSeqs.length
    this.emit('acked', acked, rejectedSeqs)
  }

  #onErrorAck (error: string, f: InFlight | undefined): void {
    const o = this.#o
    if (f === undefined) {
      o.log.warn({ error }, 'gateway could not read a batch')
      return
    }
    if (f.seqs.length > 1) {
      // docs/PROTOCOL.md ("Ack"): after an error the device splits the batch and sends again.
      const mid = f.seqs.length >> 1
      this.#priority.push(f.seqs.slice(0, mid), f.seqs.slice(mid))
      o.log.warn({ error, punches: f.seqs.length }, 'gateway could not read a batch; splitting it')
    } else {
      // One punch the gateway cannot read at all: sending it again cannot help. Count it as rejected.
      o.ring.markRejected(f.seqs)
      this.stats.punchesRejected++
      o.log.error({ seq: f.seqs[0], error }, 'gateway cannot read this punch; giving up on it')
      this.emit('rejected', [{ seq: f.seqs[0], reason: error }])
    }
  }

  #onCommand (session: UplinkSession, c: Command): void {
    const o = this.#o
    if (c.op === 'time') {
      this.emit('time', c.now)
      if (!session.timeSettled) {
        session.settleTime()
        this.#pump()
      }
    } else if (c.op === 'resend' && c.epoch === o.ring.epoch) {
      // Bounded: a resend asks for at most the ring's capacity.
      const to = Math.min(c.to, c.from + o.ring.capacity - 1)
      for (let a = c.from; a <= to; a += o.batchSize) {
        const group: number[] = []
        for (let s = a; s <= Math.min(to, a + o.batchSize - 1); s++) group.push(s)
        this.#priority.push(group)
      }
      this.#pump()
    }
  }
}
