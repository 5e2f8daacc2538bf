/**
 * The bytes read per turn of the event loop and in flight (gateway/broker/read-budget.ts,
 * `mqtt.readBytesPerTurn`, `mqtt.maxReadBytesInFlight`), both at their smallest, on a real gateway process:
 * connections held back are read again in later turns, so devices whose batches are each larger than the
 * whole budget still drain their rings, every punch acked is stored once, and a device connecting
 * meanwhile is admitted (its CONNECT is not held back).
 */
import t from 'tap'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { pino } from 'pino'
import { startGatewayProcess, writeGatewayConfig } from './helpers/gateway-process.js'
import { until } from './helpers/wait.js'
import { createMemoryRing, type Ring } from '../device/ring/index.js'
import { Uplink } from '../device/uplink.js'

const DEVICES = 20
const PUNCHES = 600

function filled (d: number): Ring {
  const ring = createMemoryRing({ capacity: 1000 })
  ring.appendMany(Array.from({ length: PUNCHES }, (_, i) => ({ ts: Date.now() - (PUNCHES - i) * 60_000, emp: `E${1000 + ((d * 7 + i) % 500)}`, kind: i % 2 === 0 ? 'in' as const : 'out' as const, method: 'card' as const, clock: 'synced' as const })))
  return ring
}

t.test('with the smallest read budget every device drains and every acked punch is stored', async t => {
  const dir = t.testdir()
  const config = writeGatewayConfig(dir, { mqtt: { readBytesPerTurn: 4096, maxReadBytesInFlight: 4096 } })
  const gw = await startGatewayProcess({ dataDir: join(dir, 'gw'), allowAnonymous: true, args: ['--config', config] })
  t.teardown(async () => await gw.stop())
  const log = pino({ level: 'silent' })
  const rings = Array.from({ length: DEVICES }, (_, d) => filled(d))
  // Batches of 100 punches (about 10 KB), 4 in flight: each device sends more per read than the budget.
  const uplinks = rings.map((ring, d) => new Uplink({ url: gw.mqttUrl, deviceId: `RB-${d}`, ring, log, timeWaitMs: 0, backoff: { baseMs: 50, capMs: 500 } }))
  t.teardown(async () => await Promise.all(uplinks.map(async u => await u.stop())))
  for (const u of uplinks.slice(0, DEVICES - 1)) u.start()
  await until(() => rings.some(r => r.stats().pending < PUNCHES), 'the first acks')
  uplinks[DEVICES - 1].start()
  await until(() => rings.every(r => r.stats().pending === 0), () => `every ring drained (${rings.filter(r => r.stats().pending > 0).length} not yet)`, 60_000)
  t.equal(uplinks.reduce((n, u) => n + u.stats.punchesAcked, 0), DEVICES * PUNCHES, 'every punch acked once')
  await Promise.all(uplinks.map(async u => await u.stop()))
  await gw.stop()
  const db = new Database(join(dir, 'gw', 'punchline.db'), { readonly: true })
  t.teardown(() => db.close())
  const rows = db.prepare('SELECT count(*) AS n, count(DISTINCT device) AS devices FROM punches').get() as { n: number, devices: number }
  t.same(rows, { n: DEVICES * PUNCHES, devices: DEVICES }, 'and stored once')
})
