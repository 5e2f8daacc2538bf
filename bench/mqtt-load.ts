/**
 * Load generator: many devices, each a real MQTT.js client with TCP_NODELAY, publishing pre-encoded
 * batches with a bounded window of batches in flight. What frees a slot of the window, and so what is
 * counted, is either the gateway's ack message (sent only after its commit: the durable ingest rate) or,
 * against a broker that has no acks (aedes pass-through, mosquitto), the QoS 1 PUBACK.
 */
import mqtt, { type MqttClient } from 'mqtt'
import { encodeBatch } from '../shared/codec/batch.js'
import type { Punch } from '../shared/punch.js'

export interface LoadOptions {
  url: string
  devices: number
  batchesPerDevice: number
  batchSize: number
  window: number
  /** to keep (device, epoch, seq) unique across repeated runs against one gateway */
  epoch: string
  /** 'ack': the application ack on att/v1/{id}/acks (the gateway's); 'puback': the broker's QoS 1 PUBACK */
  countOn?: 'ack' | 'puback'
  /** the whole load must be counted within this long (default 120 s), or the run fails */
  timeoutMs?: number
  /** called when every client is connected, just before the first publish, and when the last batch is counted */
  onStart?: () => void
  onEnd?: () => void
}

export interface LoadResult {
  punches: number
  seconds: number
  rate: number
  /** performance.now() when the first batch went out and when the last was counted */
  startedAt: number
  endedAt: number
  /** CPU seconds this process (the load generator) spent during the load */
  clientCpuSeconds: number
}

export function makePunches (n: number, firstSeq: number, now: number): Punch[] {
  const out: Punch[] = new Array(n)
  for (let i = 0; i < n; i++) {
    out[i] = { seq: firstSeq + i, ts: now - 1000 + i, emp: 'E' + String(1000 + (i % 300)), kind: i % 2 === 0 ? 'in' : 'out', method: 'card', clock: 'synced' }
  }
  return out
}

/** The punch batch payloads of one device, the same bytes whichever broker they go to. */
export function devicePayloads (o: Pick<LoadOptions, 'batchesPerDevice' | 'batchSize' | 'epoch'>, now: number): string[] {
  const list: string[] = []
  for (let b = 0; b < o.batchesPerDevice; b++) {
    list.push(encodeBatch({ v: 1, id: 'b' + b, epoch: o.epoch, tz: 480, punches: makePunches(o.batchSize, 1 + b * o.batchSize, now) }))
  }
  return list
}

export async function connectDevice (url: string, id: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { clientId: id, protocolVersion: 4, reconnectPeriod: 0, clean: true, connectTimeout: 10_000 })
  ;(client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true)
  return client
}

export async function runLoad (o: LoadOptions): Promise<LoadResult> {
  const now = Date.now()
  const countOn = o.countOn ?? 'ack'
  const timeoutMs = o.timeoutMs ?? 120_000
  const clients: MqttClient[] = []
  const payloads: string[][] = []
  try {
    for (let d = 0; d < o.devices; d++) {
      const id = `BENCH-${d}`
      const client = await connectDevice(o.url, id)
      clients.push(client)
      if (countOn === 'ack') await client.subscribeAsync(`att/v1/${id}/acks`, { qos: 1 })
      payloads.push(devicePayloads(o, now))
    }
    o.onStart?.()
    const cpu0 = process.cpuUsage()
    const startedAt = performance.now()
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`load not counted within ${timeoutMs / 1000} s`)), timeoutMs)
    })
    try {
      await Promise.race([timedOut, Promise.all(clients.map(async (client, d) => await driveDevice(client, `att/v1/BENCH-${d}/punches`, payloads[d], o.window, countOn)))])
    } finally { clearTimeout(timer) }
    const endedAt = performance.now()
    const cpu = process.cpuUsage(cpu0)
    o.onEnd?.()
    const seconds = (endedAt - startedAt) / 1000
    const punches = o.devices * o.batchesPerDevice * o.batchSize
    return { punches, seconds, rate: punches / seconds, startedAt, endedAt, clientCpuSeconds: (cpu.user + cpu.system) / 1e6 }
  } finally {
    await Promise.all(clients.map(async c => await c.endAsync(true)))
  }
}

/** Publishes `list` keeping `window` batches in flight; resolves when every one is counted. */
async function driveDevice (client: MqttClient, topic: string, list: string[], window: number, countOn: 'ack' | 'puback'): Promise<void> {
  let next = 0
  let counted = 0
  await new Promise<void>((resolve, reject) => {
    const count = (): void => {
      counted++
      if (counted === list.length) resolve()
      else send()
    }
    const send = (): void => {
      if (next >= list.length) return
      if (countOn === 'ack') client.publish(topic, list[next++], { qos: 1 })
      else {
        client.publish(topic, list[next++], { qos: 1 }, (err) => {
          if (err != null) reject(err)
          else count()
        })
      }
    }
    if (countOn === 'ack') {
      client.on('message', (_topic, payload) => {
        const ack = JSON.parse(payload.toString()) as { error?: string }
        if (ack.error !== undefined) { reject(new Error('gateway error ack: ' + ack.error)); return }
        count()
      })
    }
    client.once('close', () => { if (counted < list.length) reject(new Error(`${topic}: connection closed with ${list.length - counted} batches uncounted`)) })
    for (let i = 0; i < window; i++) send()
  })
}
