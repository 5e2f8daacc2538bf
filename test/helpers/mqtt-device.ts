/**
 * A hand-driven device for tests: a real MQTT.js client that publishes exactly what a test says
 * (including malformed payloads) and collects the gateway's acks and commands.
 */
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt'
import { decodeAck, type Ack } from '../../shared/codec/ack.js'

export class TestDevice {
  readonly client: MqttClient
  readonly id: string
  readonly acks: Ack[] = []
  readonly commands: unknown[] = []
  #waiters: Array<() => void> = []

  constructor (client: MqttClient, id: string) {
    this.client = client
    this.id = id
    client.on('message', (topic, payload) => {
      if (topic.endsWith('/acks')) {
        const d = decodeAck(payload)
        if (d.ok) this.acks.push(d.ack)
      } else if (topic.endsWith('/cmd')) {
        this.commands.push(JSON.parse(payload.toString()))
      }
      for (const w of this.#waiters.slice()) w()
    })
  }

  /** Publishes a payload on the device's punches topic (or another topic) and waits for the PUBACK. */
  async publish (payload: string | Buffer | object, topic = `att/v1/${this.id}/punches`): Promise<void> {
    const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload)
    await this.client.publishAsync(topic, body, { qos: 1 })
  }

  /** Waits for the ack carrying batch id `id`. */
  async ackFor (id: string, timeoutMs = 10_000): Promise<Ack> {
    const find = (): Ack | undefined => this.acks.find(a => a.id === id)
    const found = find()
    if (found !== undefined) return found
    return await new Promise<Ack>((resolve, reject) => {
      const check = (): void => {
        const a = find()
        if (a !== undefined) { clearTimeout(timer); this.#waiters = this.#waiters.filter(w => w !== check); resolve(a) }
      }
      const timer = setTimeout(() => { this.#waiters = this.#waiters.filter(w => w !== check); reject(new Error(`no ack for ${id} within ${timeoutMs} ms`)) }, timeoutMs)
      this.#waiters.push(check)
    })
  }

  async close (): Promise<void> {
    await this.client.endAsync(true)
  }
}

export interface ConnectOptions {
  secret?: string
  username?: string
  subscribe?: boolean
  extra?: IClientOptions
}

/** Connects as device `id`; rejects with the broker's refusal when the connection is refused. */
export async function connectDevice (url: string, id: string, o: ConnectOptions = {}): Promise<TestDevice> {
  const opts: IClientOptions = {
    clientId: id,
    username: o.username ?? (o.secret === undefined ? undefined : id),
    password: o.secret,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...o.extra
  }
  // With retries allowed, connectAsync settles only on a CONNACK or an error: a connection closed before
  // its CONNACK (a broker reloading, the connect timeout) would leave it waiting for a reconnect that
  // reconnectPeriod 0 never makes. Without them, that close rejects ("Couldn't connect to server").
  const client = await mqtt.connectAsync(url, opts, opts.reconnectPeriod !== 0)
  const device = new TestDevice(client, id)
  if (o.subscribe !== false) await client.subscribeAsync([`att/v1/${id}/acks`, `att/v1/${id}/cmd`], { qos: 1 })
  return device
}

export function batch (id: string, seqs: number[], over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    v: 1,
    id,
    epoch: '9f2c41d0',
    tz: 480,
    punches: seqs.map(seq => ({ seq, ts: Date.now() - 60_000, emp: `E${1000 + seq}`, kind: seq % 2 === 0 ? 'out' : 'in', method: 'card' })),
    ...over
  }
}
