/**
 * An upstream MQTT broker (Mosquitto, EMQX, a cloud IoT hub) as the upstream: each batch is published as
 * the webhook's JSON body to `{topic}/punches` at QoS 1 and counts as delivered when the broker's PUBACK
 * arrives; decisions on flagged punches go to `{topic}/reviews` the same way; watermarks go retained to
 * `{topic}/watermark`, so a consumer that subscribes later still learns the latest one.
 *
 * Nothing waits inside MQTT.js (its offline store replays one message at a time and its reconnect is a fixed
 * 1 s: docs/DESIGN-NOTES.md, "MQTT.js: fixed reconnect, a slow offline store"): the sink publishes only on a
 * live connection, and a connection is opened by a delivery that finds none, with MQTT.js's own reconnect
 * off. The forwarder's backoff is the reconnect backoff, and the outbox is the queue.
 *
 * MQTT 3.1.1 has no way to say "too large": a broker over its limit drops the connection. So the sink
 * bounds the payload itself (`maxPayloadBytes`) and asks for a split above it.
 *
 * A failure before the CONNACK says `notTaken` (nothing was published, so the forwarder may merge the
 * batch with others); one after the publish (no PUBACK, the connection lost) does not.
 */
import { readFile } from 'node:fs/promises'
import mqtt, { type MqttClient } from 'mqtt'
import type { Logger } from '../../shared/log.js'
import type { UpstreamBatch, Watermarks } from '../../shared/upstream.js'
import { abortText, type Sink, type SinkResult } from './sink.js'

export interface MqttSinkOptions {
  /** mqtt:// or mqtts:// */
  url: string
  username?: string
  /** never logged */
  password?: string
  clientId: string
  /** prefix: batches to `{topic}/punches`, watermarks to `{topic}/watermark` */
  topic: string
  /** PEM CA for mqtts:// with a private CA */
  caFile?: string
  /** for CONNACK, and for each PUBACK */
  timeoutMs: number
  /** the largest payload published; a bigger batch is split (default DEFAULT_MAX_PAYLOAD, 256 KiB) */
  maxPayloadBytes?: number
  log: Logger
}

type Connection = { client: MqttClient } | { result: SinkResult }

const DEFAULT_MAX_PAYLOAD = 256 * 1024
const CLOSE_GRACE_MS = 1000

export class MqttSink implements Sink {
  readonly name = 'mqtt'
  readonly #o: MqttSinkOptions
  readonly #broker: string
  readonly #topicError?: string
  #client?: MqttClient
  #connecting?: Promise<Connection>
  #closed = false

  constructor (opts: MqttSinkOptions) {
    this.#o = opts
    this.#broker = redact(opts.url)
    if (opts.topic === '' || /[+#\u0000]/.test(opts.topic)) this.#topicError = `upstream.topic: '${opts.topic}' is not a topic to publish under (no +, # or empty)`
  }

  /** A connection when there is none (CONNACK within timeoutMs), then the PUBACK within timeoutMs. */
  deadlineMs (): number {
    return 2 * this.#o.timeoutMs
  }

  async deliver (batch: UpstreamBatch, signal: AbortSignal): Promise<SinkResult> {
    return await this.#send('punches', batch, false, signal)
  }

  /** On `{topic}/reviews`, not retained: a consumer of `{topic}/punches` sees nothing new. */
  async reviews (batch: UpstreamBatch, signal: AbortSignal): Promise<SinkResult> {
    return await this.#send('reviews', batch, false, signal)
  }

  async watermark (marks: Watermarks, signal: AbortSignal): Promise<SinkResult> {
    return await this.#send('watermark', marks, true, signal)
  }

  async close (): Promise<void> {
    this.#closed = true
    const client = this.#client
    this.#client = undefined
    if (client === undefined) return
    await new Promise<void>(resolve => {
      const timer = setTimeout(() => { client.end(true); resolve() }, CLOSE_GRACE_MS)
      client.end(false, {}, () => { clearTimeout(timer); resolve() })
    })
  }

  async #send (leaf: string, body: unknown, retain: boolean, signal: AbortSignal): Promise<SinkResult> {
    try {
      if (this.#topicError !== undefined) return { outcome: 'config', error: this.#topicError }
      let payload: Buffer
      try {
        payload = Buffer.from(JSON.stringify(body))
      } catch (err) {
        return { outcome: 'split', error: `cannot encode as JSON: ${(err as Error).message}` }
      }
      const max = this.#o.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD
      if (payload.length > max) return { outcome: 'split', error: `payload of ${payload.length} bytes is over the ${max} bytes the upstream broker takes` }
      if (signal.aborted) return { outcome: 'retry', error: abortText(signal) }
      const conn = await this.#connection()
      if ('result' in conn) return conn.result
      // An abort while the connection was being made fired before #publish could listen for it.
      if (signal.aborted) return { outcome: 'retry', error: abortText(signal), notTaken: true }
      return await this.#publish(conn.client, `${this.#o.topic}/${leaf}`, payload, retain, signal)
    } catch (err) {
      return { outcome: 'retry', error: `unexpected: ${(err as Error).message}` }
    }
  }

  async #publish (client: MqttClient, topic: string, payload: Buffer, retain: boolean, signal: AbortSignal): Promise<SinkResult> {
    // Checked here, not left to MQTT.js: it would store a QoS 1 publish made offline and replay it later.
    if (!client.connected) return { outcome: 'retry', error: 'not connected to the upstream broker', notTaken: true }
    return await new Promise<SinkResult>(resolve => {
      const { settle: finish } = firstAnswer(resolve, () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        client.removeListener('close', onClose)
      })
      const onAbort = (): void => finish({ outcome: 'retry', error: abortText(signal) })
      // MQTT.js does not always call back a QoS 1 publish whose connection died: the close settles it.
      const onClose = (): void => finish({ outcome: 'retry', error: `connection to ${this.#broker} lost before PUBACK` })
      const timer = setTimeout(() => {
        finish({ outcome: 'retry', error: `timeout: no PUBACK within ${this.#o.timeoutMs} ms` })
        // A connection that swallows a PUBACK is not trusted with the next batch; a fresh one also
        // leaves no message of ours in MQTT.js's store to be resent behind our back.
        this.#drop(client)
      }, this.#o.timeoutMs)
      signal.addEventListener('abort', onAbort, { once: true })
      client.on('close', onClose)
      client.publish(topic, payload, { qos: 1, retain }, (err) => {
        finish(err == null ? { outcome: 'delivered' } : { outcome: 'retry', error: `publish failed: ${err.message}` })
      })
    })
  }

  /** The live client, or one connection attempt shared by every delivery waiting for it. */
  async #connection (): Promise<Connection> {
    if (this.#closed) return { result: { outcome: 'retry', error: 'the sink is closed' } }
    const live = this.#client
    if (live !== undefined && live.connected && !live.disconnecting) return { client: live }
    this.#connecting ??= this.#open().finally(() => { this.#connecting = undefined })
    return await this.#connecting
  }

  /** Forgets a client at once (it stays `connected` until its socket closes) and ends it. */
  #drop (client: MqttClient): void {
    if (this.#client === client) this.#client = undefined
    client.end(true)
  }

  async #open (): Promise<Connection> {
    const o = this.#o
    let ca: Buffer | undefined
    if (o.caFile !== undefined && o.caFile !== '') {
      try {
        ca = await readFile(o.caFile)
      } catch (err) {
        return { result: { outcome: 'config', error: `upstream.caFile: cannot read ${o.caFile}: ${(err as Error).message}` } }
      }
    }
    let client: MqttClient
    try {
      client = mqtt.connect(o.url, {
        clientId: o.clientId,
        username: o.username === '' ? undefined : o.username,
        password: o.password === '' ? undefined : o.password,
        protocolVersion: 4,
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: o.timeoutMs,
        keepalive: 30,
        queueQoSZero: false,
        ...(ca === undefined ? {} : { ca })
      })
    } catch (err) {
      return { result: { outcome: 'config', error: `upstream.url: ${(err as Error).message}` } }
    }
    return await new Promise<Connection>(resolve => {
      const answer = firstAnswer(resolve, () => clearTimeout(timer))
      const settle = answer.settle
      const timer = setTimeout(() => {
        settle({ result: { outcome: 'retry', error: `timeout: no CONNACK from ${this.#broker} within ${o.timeoutMs} ms`, notTaken: true } })
        client.end(true)
      }, o.timeoutMs)
      client.on('error', (err: Error & { code?: string | number }) => {
        if (!answer.settled) {
          settle({ result: connectFailure(err, this.#broker) })
          client.end(true)
        } else {
          o.log.warn({ broker: this.#broker, err: err.message }, 'upstream broker connection error')
        }
      })
      client.on('close', () => {
        settle({ result: { outcome: 'retry', error: `connection to ${this.#broker} closed before CONNACK`, notTaken: true } })
        if (this.#client === client) {
          this.#client = undefined
          o.log.warn({ broker: this.#broker }, 'upstream broker connection lost; the next delivery reconnects')
        }
        client.end(true)
      })
      client.once('connect', () => {
        if (this.#closed) { client.end(true); settle({ result: { outcome: 'retry', error: 'the sink is closed' } }); return }
        // Without TCP_NODELAY (Nagle plus delayed ACK) a publish-then-wait-for-PUBACK loop stalls ~40 ms a
        // round trip (docs/DESIGN-NOTES.md, "TCP_NODELAY: the 40 ms Nagle and delayed-ACK stall").
        ;(client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true)
        // One 'close' listener per publish awaiting its PUBACK (up to forward.concurrency).
        client.setMaxListeners(0)
        this.#client = client
        o.log.info({ broker: this.#broker, clientId: o.clientId }, 'connected to the upstream broker')
        settle({ client })
      })
    })
  }
}

/**
 * A promise's resolve that takes the first answer only, and runs `cleanup` (timers, listeners) just before
 * it: a publish or a connection attempt has several ways to end and each of them calls `settle`.
 */
function firstAnswer<T> (resolve: (value: T) => void, cleanup: () => void): { settle: (value: T) => void, readonly settled: boolean } {
  let settled = false
  return {
    settle (value: T): void {
      if (settled) return
      settled = true
      cleanup()
      resolve(value)
    },
    get settled (): boolean { return settled }
  }
}

/** Why a connection attempt failed, as an outcome: refusals an operator must fix are config. */
function connectFailure (err: Error & { code?: string | number }, broker: string): SinkResult {
  const code = err.code
  // CONNACK return codes (MQTT 3.1.1 §3.2.2.3): 1 protocol, 2 client id, 4 credentials, 5 not authorised.
  if (code === 1 || code === 2 || code === 4 || code === 5) return { outcome: 'config', error: `${broker} refused the connection: ${err.message}` }
  // Certificate trouble does not heal by waiting: a wrong CA, an expired or misnamed certificate.
  if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO|ALTNAME|TLS/.test(code)) return { outcome: 'config', error: `${broker}: TLS: ${err.message}` }
  // Before CONNACK: nothing of the batch was published.
  return { outcome: 'retry', error: `${broker}: ${err.message}`, notTaken: true }
}

/** The broker's address without credentials, for logs and errors. */
function redact (url: string): string {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}`
  } catch {
    return '(invalid upstream url)'
  }
}
