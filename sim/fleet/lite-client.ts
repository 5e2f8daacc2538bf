/**
 * A small MQTT 3.1.1 client for the simulator's fleets: the UplinkClient seam (device/uplink-client.ts) over
 * one net or TLS socket, framed by `mqtt-packet`, MQTT.js's own codec (docs/ARCHITECTURE.md, decision 9). A
 * full MqttClient carries stores, a write pipeline, topic aliases and reconnect machinery per instance;
 * 10,000 of those in one process is what this avoids, while the device's real Uplink keeps driving
 * everything.
 *
 * Deliberately absent, because the uplink does not use them: reconnects (the uplink backs off and opens a new
 * client), an offline queue (docs/ARCHITECTURE.md, decision 3: the ring is the backlog, so publishing while
 * not connected fails at once), QoS 2, unsubscribe, MQTT 5.
 */
import { EventEmitter } from 'node:events'
import { connect as netConnect, isIP, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import type { Duplex } from 'node:stream'
import { generate, parser as createParser, type Packet, type IConnectPacket, type Parser } from 'mqtt-packet'
import type { IClientOptions } from 'mqtt'
import type { UplinkClient, UplinkConnect, UplinkGrant, UplinkQoS } from '../../device/uplink-client.js'

// [MQTT-3.2.2.3] CONNACK return codes, worded as MQTT.js words them so logs read the same either way.
const REFUSALS: Record<number, string> = {
  1: 'Unacceptable protocol version',
  2: 'Identifier rejected',
  3: 'Server unavailable',
  4: 'Bad username or password',
  5: 'Not authorized'
}

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000
const MAX_PACKET_ID = 0xffff

export class MqttRefusal extends Error {
  /** the CONNACK return code, as MQTT.js's ErrorWithReasonCode carries it */
  readonly code: number
  constructor (code: number) {
    super(`Connection refused: ${REFUSALS[code] ?? `return code ${code}`}`)
    this.code = code
  }
}

/** A SUBSCRIBE waiting for its SUBACK; a bare function is a QoS 1 PUBLISH waiting for its PUBACK. */
class SubscribeWait {
  constructor (readonly topics: string[], readonly callback: (err: Error | null, granted?: UplinkGrant[]) => void) {}
}
type Wait = SubscribeWait | ((err?: Error) => void)

const noop = (): void => {}

export class LiteClient extends EventEmitter implements UplinkClient {
  readonly #socket: Socket | Duplex
  readonly #parser: Parser
  readonly #keepaliveMs: number
  #connectTimer?: NodeJS.Timeout
  #pingTimer?: NodeJS.Timeout
  #pingOutstanding = false
  #connackSeen = false
  #connected = false
  #closed = false
  /** a graceful end() waiting for in-flight publishes before its DISCONNECT */
  #ending = false
  #lastId = 0
  /** requests awaiting their answer, by packet id; made on demand and dropped when none waits */
  #waits?: Map<number, Wait>
  #endCallbacks?: Array<() => void>

  /** `stream`: a connection already open (the simulator's in-process links); `url` then only names it. */
  constructor (url: string, opts: IClientOptions, stream?: Duplex) {
    super()
    if (opts.protocolVersion !== undefined && opts.protocolVersion !== 4) {
      throw new Error(`lite MQTT client: protocolVersion must be 4 (MQTT 3.1.1), got ${String(opts.protocolVersion)}`)
    }
    this.#keepaliveMs = (opts.keepalive ?? 60) * 1000
    const target = stream === undefined ? parseBrokerUrl(url) : undefined
    this.#socket = stream ?? (target!.tls
      ? tlsConnect({
        host: target!.host,
        port: target!.port,
        // SNI carries names only [RFC 6066 3]; MQTT.js leaves it out for addresses too.
        servername: opts.servername ?? (isIP(target!.host) === 0 ? target!.host : undefined),
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        rejectUnauthorized: opts.rejectUnauthorized
      })
      : netConnect({ host: target!.host, port: target!.port }))
    // Without TCP_NODELAY (Nagle plus delayed ACK) a publish-then-wait-for-ack loop stalls on every round
    // trip (docs/DESIGN-NOTES.md, "TCP_NODELAY: the 40 ms Nagle and delayed-ACK stall").
    ;(this.#socket as Partial<Socket>).setNoDelay?.(true)
    this.#parser = createParser({ protocolVersion: 4 })
    this.#parser.on('packet', (p: Packet) => this.#onPacket(p))
    this.#parser.on('error', (err: Error) => this.#fail(err))
    this.#socket.on('data', (chunk: Buffer) => { this.#parser.parse(chunk) })
    this.#socket.on('error', (err: Error) => { if (!this.#closed) this.emit('error', err) })
    this.#socket.on('close', () => this.#onClose())
    this.#connectTimer = setTimeout(() => this.#fail(new Error('connack timeout')), opts.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS)
    this.#connectTimer.unref()
    this.#send(connectPacket(opts))
  }

  get connected (): boolean { return this.#connected }
  get stream (): Socket | Duplex { return this.#socket }

  subscribe (topics: string[], opts: { qos: UplinkQoS }, callback: (err: Error | null, granted?: UplinkGrant[]) => void): this {
    const id = this.#connected && !this.#ending ? this.#nextId() : 0
    if (id === 0) {
      process.nextTick(callback, new Error('not connected'))
      return this
    }
    ;(this.#waits ??= new Map()).set(id, new SubscribeWait(topics, callback))
    this.#send({ cmd: 'subscribe', messageId: id, subscriptions: topics.map(topic => ({ topic, qos: opts.qos })) })
    return this
  }

  publish (topic: string, payload: string | Buffer, opts: { qos: UplinkQoS, retain?: boolean }, callback?: (err?: Error) => void): this {
    // No queue while disconnected (docs/ARCHITECTURE.md, decision 3): the caller keeps its punches and
    // tries again.
    if (!this.#connected || this.#ending) {
      if (callback !== undefined) process.nextTick(callback, new Error('not connected'))
      return this
    }
    const retain = opts.retain === true
    if (opts.qos === 0) {
      this.#send({ cmd: 'publish', topic, payload, qos: 0, retain, dup: false })
      if (callback !== undefined) process.nextTick(callback)
      return this
    }
    const id = this.#nextId()
    if (id === 0) {
      if (callback !== undefined) process.nextTick(callback, new Error('no free packet id: 65535 publishes await their PUBACK'))
      return this
    }
    ;(this.#waits ??= new Map()).set(id, callback ?? noop)
    this.#send({ cmd: 'publish', topic, payload, qos: 1, retain, dup: false, messageId: id })
    return this
  }

  end (force = false, _opts?: object, callback?: () => void): this {
    if (this.#closed) {
      if (callback !== undefined) process.nextTick(callback)
      return this
    }
    if (callback !== undefined) (this.#endCallbacks ??= []).push(callback)
    if (force || !this.#connected) {
      this.#socket.destroy()
    } else if (!this.#ending) {
      this.#ending = true
      // Like MQTT.js: what is in flight gets its PUBACK before the goodbye.
      if (this.#waits === undefined) this.#disconnect()
    }
    return this
  }

  #disconnect (): void {
    this.#send({ cmd: 'disconnect' })
    this.#socket.end()
  }

  #nextId (): number {
    const waits = this.#waits
    if (waits !== undefined && waits.size >= MAX_PACKET_ID) return 0
    do {
      this.#lastId = this.#lastId === MAX_PACKET_ID ? 1 : this.#lastId + 1
    } while (waits?.has(this.#lastId) === true)
    return this.#lastId
  }

  #send (packet: Packet): void {
    if (this.#socket.destroyed) return
    this.#socket.write(generate(packet))
    this.#pingTimer?.refresh()
  }

  #onPacket (p: Packet): void {
    if (this.#closed) return
    switch (p.cmd) {
      case 'connack': return this.#onConnack(p.returnCode ?? 0)
      case 'puback': return this.#settle(p.messageId)
      case 'suback': return this.#settle(p.messageId, p.granted as number[])
      case 'publish':
        if (p.qos === 2) return this.#fail(new Error('QoS 2 publish received; this client subscribes at QoS 1 at most'))
        this.emit('message', p.topic, typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload)
        if (p.qos === 1) this.#send({ cmd: 'puback', messageId: p.messageId })
        return
      case 'pingresp':
        this.#pingOutstanding = false
    }
  }

  #onConnack (returnCode: number): void {
    if (this.#connackSeen) return this.#fail(new Error('Protocol error: duplicate CONNACK on the same network connection'))
    this.#connackSeen = true
    clearTimeout(this.#connectTimer)
    // A spent timer is still an object; ten thousand clients need not keep theirs.
    this.#connectTimer = undefined
    if (returnCode !== 0) return this.#fail(new MqttRefusal(returnCode))
    this.#connected = true
    if (this.#keepaliveMs > 0) {
      // Refreshed by every packet sent (#send): the broker needs to hear from us once per keepalive [MQTT-3.1.2-23].
      this.#pingTimer = setTimeout(() => this.#onKeepalive(), this.#keepaliveMs)
      this.#pingTimer.unref()
    }
    this.emit('connect')
  }

  #onKeepalive (): void {
    if (this.#pingOutstanding) return this.#fail(new Error('Keepalive timeout'))
    this.#pingOutstanding = true
    this.#send({ cmd: 'pingreq' })
    // #send refreshed the timer only if the socket is alive; a destroyed one is closing already.
  }

  #settle (id: number | undefined, granted?: number[]): void {
    const waits = this.#waits
    const wait = id === undefined ? undefined : waits?.get(id)
    if (wait === undefined) return
    waits!.delete(id!)
    if (waits!.size === 0) this.#waits = undefined
    if (wait instanceof SubscribeWait) {
      wait.callback(null, wait.topics.map((topic, i) => ({ topic, qos: granted?.[i] ?? 128 })))
    } else {
      wait()
    }
    if (this.#ending && this.#waits === undefined && !this.#closed) this.#disconnect()
  }

  /** A protocol or session failure: tell, then drop the socket ('close' follows). */
  #fail (err: Error): void {
    if (this.#closed) return
    this.#socket.destroy()
    this.emit('error', err)
  }

  #onClose (): void {
    if (this.#closed) return
    this.#closed = true
    this.#connected = false
    clearTimeout(this.#connectTimer)
    clearTimeout(this.#pingTimer)
    this.#parser.removeAllListeners()
    const waits = this.#waits === undefined ? [] : [...this.#waits.values()]
    this.#waits = undefined
    const gone = new Error('connection closed')
    for (const w of waits) {
      if (w instanceof SubscribeWait) w.callback(gone)
      else w(gone)
    }
    this.emit('close')
    const callbacks = this.#endCallbacks
    this.#endCallbacks = undefined
    if (callbacks !== undefined) for (const cb of callbacks) cb()
  }
}

function connectPacket (opts: IClientOptions): IConnectPacket {
  const password = opts.password
  const will = opts.will
  return {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: opts.clientId ?? '',
    clean: opts.clean ?? true,
    keepalive: opts.keepalive ?? 60,
    username: opts.username,
    password: password === undefined ? undefined : Buffer.isBuffer(password) ? password : Buffer.from(password),
    will: will === undefined ? undefined : { topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain }
  }
}

function parseBrokerUrl (url: string): { tls: boolean, host: string, port: number } {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new Error(`lite MQTT client: not a URL: ${url}`)
  }
  const scheme = u.protocol.slice(0, -1)
  const tls = scheme === 'mqtts' || scheme === 'ssl' || scheme === 'tls'
  if (!tls && scheme !== 'mqtt' && scheme !== 'tcp') throw new Error(`lite MQTT client: ${scheme}:// is not supported (mqtt:// or mqtts://)`)
  // URL keeps IPv6 hosts in brackets; sockets want them bare.
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1')
  return { tls, host, port: u.port === '' ? (tls ? 8883 : 1883) : Number(u.port) }
}

/** The uplink's `connect` option for fleets: `new Uplink({ ..., connect: connectLite })`. */
export const connectLite: UplinkConnect = (url, opts) => new LiteClient(url, opts)

/** The same over connections `open` makes (an in-process link, fakes/link/memory-link.ts) instead of TCP. */
export function connectLiteOver (open: () => Duplex): UplinkConnect {
  return (url, opts) => new LiteClient(url, opts, open())
}
