/**
 * Load generator: many devices, each a real MQTT.js client with TCP_NODELAY, publishing pre-encoded
 * batches with a bounded window of batches awaiting their ack. Measures punches acknowledged per second
 * (the ack is sent only after the gateway's commit, so this is the durable ingest rate).
 */
import mqtt, { type MqttClient } from 'mqtt'
import { encodeBatch } from '../../shared/codec/batch.js'
import type { Punch } from '../../shared/punch.js'

export interface LoadOptions {
  url: string
  devices: number
  batchesPerDevice: number
  batchSize: number
  window: number
  /** to keep (device, epoch, seq) unique across repeated runs against one gateway */
  epoch: string
}

export interface LoadResult {
  punches: number
  seconds: number
  rate: number
}

export function makePunches (n: number, firstSeq: number, now: number): Punch[] {
  const out: Punch[] = new Array(n)
  for (let i = 0; i < n; i++) {
    out[i] = { seq: firstSeq + i, ts: now - 1000 + i, emp: 'E' + String(1000 + (i % 300)), kind: i % 2 === 0 ? 'in' : 'out', method: 'card', clock: 'synced' }
  }
  return out
}

async function connect (url: string, id: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { clientId: id, protocolVersion: 4, reconnectPeriod: 0, clean: true })
  ;(client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true)
  return client
}

export async function runLoad (o: LoadOptions): Promise<LoadResult> {
  const now = Date.now()
  const clients: MqttClient[] = []
  const payloads: string[][] = []
  for (let d = 0; d < o.devices; d++) {
    const id = `BENCH-${d}`
    const client = await connect(o.url, id)
    await client.subscribeAsync(`att/v1/${id}/acks`, { qos: 1 })
    clients.push(client)
    const list: string[] = []
    for (let b = 0; b < o.batchesPerDevice; b++) {
      list.push(encodeBatch({ v: 1, id: 'b' + b, epoch: o.epoch, tz: 480, punches: makePunches(o.batchSize, 1 + b * o.batchSize, now) }))
    }
    payloads.push(list)
  }
  const t0 = process.hrtime.bigint()
  await Promise.all(clients.map(async (client, d) => {
    const list = payloads[d]
    const topic = `att/v1/BENCH-${d}/punches`
    let next = 0
    let acked = 0
    await new Promise<void>((resolve, reject) => {
      const send = (): void => {
        if (next < list.length) client.publish(topic, list[next++], { qos: 1 })
      }
      client.on('message', (_topic, payload) => {
        const ack = JSON.parse(payload.toString()) as { error?: string }
        if (ack.error !== undefined) { reject(new Error('gateway error ack: ' + ack.error)); return }
        acked++
        if (acked === list.length) resolve()
        else send()
      })
      for (let i = 0; i < o.window; i++) send()
    })
  }))
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  await Promise.all(clients.map(async c => await c.endAsync(true)))
  const punches = o.devices * o.batchesPerDevice * o.batchSize
  return { punches, seconds, rate: punches / seconds }
}
