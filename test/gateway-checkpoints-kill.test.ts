/**
 * The checkpointer in a real gateway process (gateway/ingest/checkpointer.ts): under ingest from real MQTT
 * devices it checkpoints (its metrics say so), and a SIGKILL in the middle of that ingest, checkpoints
 * running beside the commits, loses no punch the gateway acknowledged.
 */
import t from 'tap'
import { join } from 'node:path'
import { openDatabase } from '../gateway/store/db.js'
import { startGatewayProcess } from './helpers/gateway-process.js'
import { batch, connectDevice, type TestDevice } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'

const DEVICES = 8
const BATCH = 100

/** A device sends batches of BATCH, one at a time, each after the ack of the last, until told to stop; `acked` gets the seqs acknowledged. */
async function publishUntil (device: TestDevice, stop: () => boolean, acked: number[]): Promise<void> {
  for (let n = 0; !stop(); n++) {
    const seqs = Array.from({ length: BATCH }, (_, i) => n * BATCH + i + 1)
    const id = `${device.id}-${n}`
    try {
      await device.publish(batch(id, seqs))
      const ack = await device.ackFor(id, 30_000)
      if ('error' in ack) return
      acked.push(...seqs)
    } catch {
      return // the gateway is gone
    }
  }
}

async function metric (text: string, name: string): Promise<number> {
  let sum = 0
  for (const line of text.split('\n')) if (line.startsWith(name)) sum += Number(line.split(' ').at(-1))
  return sum
}

t.test('SIGKILL while the checkpointer copies the WAL beside the commits: every acknowledged punch is in the file', async t => {
  const dataDir = t.testdir()
  const gw = await startGatewayProcess({ dataDir, allowAnonymous: true })
  t.teardown(() => gw.kill())
  const devices = await Promise.all(Array.from({ length: DEVICES }, async (_, i) => await connectDevice(gw.mqttUrl, `CK${i}`)))
  t.teardown(async () => { await Promise.all(devices.map(async d => await d.close().catch(() => {}))) })
  let stopped = false
  const acked = devices.map(() => [] as number[])
  // Not awaited: a publish the gateway died before answering never settles (no reconnect).
  for (let i = 0; i < DEVICES; i++) void publishUntil(devices[i], () => stopped, acked[i])
  const total = (): number => acked.reduce((n, a) => n + a.length, 0)

  // Until checkpoints have run (the default: one about every 4,000 pages, some 8,000 punches), then a little more.
  let complete = 0
  await until(async () => {
    const text = await (await gw.api('/metrics')).text()
    complete = await metric(text, 'punchline_wal_checkpoints_total{result="complete"}') + await metric(text, 'punchline_wal_checkpoints_total{result="partial"}')
    return complete >= 2 && await metric(text, 'punchline_wal_checkpointed_frames_total') > 0
  }, 'checkpoints by the checkpointer thread', 60_000, 100)
  const at = total()
  await until(() => total() >= at + 2000, 'more acknowledged punches after them', 60_000)
  gw.kill('SIGKILL')
  stopped = true
  await gw.exited
  t.ok(total() > 4000, `a real load (${total()} punches acknowledged, ${complete} checkpoints before the kill)`)

  // Opening the file recovers it from the WAL, as the next start would.
  const db = openDatabase(join(dataDir, 'punchline.db'))
  t.teardown(() => db.close())
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok')
  const has = db.prepare('SELECT count(*) AS n FROM punches WHERE device = ? AND seq = ?')
  const missing: string[] = []
  for (let i = 0; i < DEVICES; i++) {
    for (const seq of acked[i]) if ((has.get(`CK${i}`, seq) as { n: number }).n !== 1) missing.push(`CK${i}#${seq}`)
  }
  t.same(missing.slice(0, 10), [], `no acknowledged punch missing (${missing.length} missing)`)
})
