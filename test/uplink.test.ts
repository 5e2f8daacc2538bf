/**
 * The device uplink against a real in-process gateway (real aedes on 127.0.0.1, real SQLite file):
 * newest first after an outage, slots freed only by the gateway's ack, bounded in-flight window,
 * retained status with a last will, and a reconnect once the link is back.
 */
import t from 'tap'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { defaultConfig } from '../gateway/config.js'
import { Gateway } from '../gateway/gateway.js'
import { createMemoryRing } from '../device/ring/index.js'
import { Uplink } from '../device/uplink.js'
import { LinkProxy } from '../fakes/link/netem.js'
import { until as waitFor } from './helpers/wait.js'

const until = async (cond: () => boolean, ms = 10_000): Promise<void> => await waitFor(cond, 'condition', ms, 10)

const log = pino({ level: 'silent' })

async function startGateway (dir: string): Promise<{ gw: Gateway, port: number }> {
  const cfg = defaultConfig()
  cfg.dataDir = join(dir, 'gw')
  cfg.mqtt = { ...cfg.mqtt, host: '127.0.0.1', port: 0 }
  cfg.http = { ...cfg.http, host: '127.0.0.1', port: 0 }
  cfg.allowAnonymous = true
  const gw = new Gateway(cfg, { log })
  const { mqttPort } = await gw.start()
  return { gw, port: mqttPort }
}

t.test('after an outage the backlog drains newest first and every slot is freed by an ack', async t => {
  const { gw, port } = await startGateway(t.testdir())
  t.teardown(() => gw.stop())
  const proxy = new LinkProxy({ host: '127.0.0.1', port })
  const url = `mqtt://127.0.0.1:${await proxy.listen()}`
  t.teardown(() => proxy.close())
  proxy.cut()

  const ring = createMemoryRing({ capacity: 500 })
  for (let i = 0; i < 95; i++) ring.append({ ts: Date.now() - (95 - i) * 1000, emp: 'E' + i, kind: 'in', method: 'card', clock: 'synced' })
  const up = new Uplink({ url, deviceId: 'U-1', ring, batchSize: 10, window: 1, log, backoff: { baseMs: 20, capMs: 100 } })
  const ackOrder: number[][] = []
  up.on('acked', (seqs: number[]) => ackOrder.push(seqs.slice().sort((a, b) => a - b)))
  up.start()
  t.teardown(() => up.stop())
  await new Promise(resolve => setTimeout(resolve, 300))
  t.equal(up.connected, false, 'offline while the link is cut')
  t.equal(ring.stats().pending, 95)

  proxy.restore()
  await until(() => ring.stats().pending === 0)
  t.same(ackOrder[0], [86, 87, 88, 89, 90, 91, 92, 93, 94, 95], 'the newest ten first')
  t.same(ackOrder[ackOrder.length - 1], [1, 2, 3, 4, 5], 'the oldest last')
  for (let i = 1; i < ackOrder.length; i++) t.ok(ackOrder[i][0] < ackOrder[i - 1][0], 'each batch older than the one before')
  t.equal(up.stats.batchesSent, 10)
  const stored = gw.db.prepare("SELECT count(*) AS n FROM punches WHERE device = 'U-1'").get() as { n: number }
  t.equal(stored.n, 95)
})

t.test('a dropped link mid-drain: punches in flight are sent again, stored once', async t => {
  const { gw, port } = await startGateway(t.testdir())
  t.teardown(() => gw.stop())
  const proxy = new LinkProxy({ host: '127.0.0.1', port })
  const url = `mqtt://127.0.0.1:${await proxy.listen()}`
  t.teardown(() => proxy.close())
  const ring = createMemoryRing({ capacity: 5000 })
  for (let i = 0; i < 3000; i++) ring.append({ ts: Date.now() - 5000 + i, emp: 'E' + (i % 50), kind: 'auto', method: 'pin', clock: 'synced' })
  const up = new Uplink({ url, deviceId: 'U-2', ring, batchSize: 50, window: 4, log, backoff: { baseMs: 20, capMs: 100 } })
  up.start()
  t.teardown(() => up.stop())
  await until(() => ring.stats().pending < 2500)
  proxy.cut()
  await new Promise(resolve => setTimeout(resolve, 100))
  proxy.restore()
  await until(() => ring.stats().pending === 0, 20_000)
  t.ok(up.stats.connects >= 2, 'reconnected')
  const stored = gw.db.prepare("SELECT count(*) AS n, count(DISTINCT seq) AS d FROM punches WHERE device = 'U-2'").get() as { n: number, d: number }
  t.same(stored, { n: 3000, d: 3000 })
})

t.test('retained status on connect, offline will on loss, time command applied', async t => {
  const { gw, port } = await startGateway(t.testdir())
  t.teardown(() => gw.stop())
  const proxy = new LinkProxy({ host: '127.0.0.1', port })
  const url = `mqtt://127.0.0.1:${await proxy.listen()}`
  t.teardown(() => proxy.close())
  const ring = createMemoryRing({ capacity: 100 })
  ring.append({ ts: Date.now(), emp: 'E1', kind: 'in', method: 'card', clock: 'synced' })
  const up = new Uplink({ url, deviceId: 'U-3', ring, log, fw: '1.2.3', backoff: { baseMs: 20, capMs: 100 }, mqttOptions: { keepalive: 1 } })
  const times: number[] = []
  up.on('time', (now: number) => times.push(now))
  up.start()
  t.teardown(() => up.stop())
  await until(() => up.connected && ring.stats().pending === 0 && times.length > 0)
  t.ok(Math.abs(times[0] - Date.now()) < 5000, 'the gateway sent its time')

  // An observer on the broker (anonymous lab gateway): may it read status? Only via the gateway's store.
  await until(() => gw.db.prepare("SELECT status FROM devices WHERE id = 'U-3' AND status IS NOT NULL").get() !== undefined)
  const saved = JSON.parse((gw.db.prepare("SELECT status FROM devices WHERE id = 'U-3'").get() as { status: string }).status)
  t.equal(saved.online, true)
  t.equal(saved.fw, '1.2.3')
  t.equal(saved.ring.capacity, 100)

  // Lose the link without a goodbye: the broker publishes the will, and the gateway records it.
  proxy.cut()
  await until(() => {
    const row = gw.db.prepare("SELECT status FROM devices WHERE id = 'U-3'").get() as { status: string }
    return JSON.parse(row.status).online === false
  }, 10_000).catch(() => {})
  const after = JSON.parse((gw.db.prepare("SELECT status FROM devices WHERE id = 'U-3'").get() as { status: string }).status)
  t.equal(after.online, false, 'the last will marks the device offline')
  t.ok(mqtt !== undefined)
})
