/**
 * A gateway whose file is found corrupt at start moves it aside and starts on an empty one (gateway.ts).
 * That file is marked like a restored one: a device that uploads a pending punch tells the gateway where
 * its ring is, and its next status gets it asked to resend the acknowledged punches it still holds. Real
 * gateway process, real device runtimes with file rings; the devices' accepted punches are the truth.
 */
import t from 'tap'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { pino } from 'pino'
import Database from 'better-sqlite3'
import { startGatewayProcess, type GatewayProcess } from './helpers/gateway-process.js'
import { LinkProxy } from '../fakes/link/netem.js'
import { parseDeviceConfig } from '../device/config.js'
import { DeviceRuntime } from '../device/runtime.js'
import { until as waitFor } from './helpers/wait.js'

const until = async (cond: () => boolean, what: string | (() => string)): Promise<void> => await waitFor(cond, what, 60_000)

function storedIds (file: string): string[] {
  const db = new Database(file, { readonly: true })
  try {
    return (db.prepare('SELECT device, epoch, seq FROM punches').all() as Array<{ device: string, epoch: string, seq: number }>)
      .map(r => `${r.device}:${r.epoch}:${r.seq}`)
  } finally { db.close() }
}

t.test('after a corrupt file, devices are asked back for the acked punches they still hold', async t => {
  const dir = t.testdir()
  const gwDir = join(dir, 'gw')
  const dbFile = join(gwDir, 'punchline.db')
  let gw: GatewayProcess = await startGatewayProcess({ dataDir: gwDir, allowAnonymous: true })
  const ports = { mqttPort: gw.mqttPort, httpPort: gw.httpPort }
  // Devices reach the gateway through a link cut before the stop, so the stop does not depend on how the
  // gateway ends live connections (test/gateway-stop.test.ts is about that).
  const link = new LinkProxy({ host: '127.0.0.1', port: gw.mqttPort })
  const linkPort = await link.listen()
  const taken: string[] = []
  const devices = ['C-0', 'C-1'].map((id, i) => {
    const runtime = new DeviceRuntime(parseDeviceConfig({
      id,
      broker: { url: `mqtt://127.0.0.1:${linkPort}` },
      ring: { path: join(dir, `ring-${i}.bin`), capacity: 1000 },
      uplink: { batchSize: 50, backoffCapMs: 300, statusIntervalMs: 1000 },
      clock: { trustSystemClock: true },
      duplicateWindowMs: 0
    }), { log: pino({ level: 'silent' }) })
    runtime.on('outcome', (e: { outcome: { outcome: string, seq?: number } }) => {
      if (e.outcome.outcome === 'accepted') taken.push(`${id}:${runtime.ring.epoch}:${e.outcome.seq!}`)
    })
    return runtime
  })
  t.teardown(async () => {
    for (const d of devices) await d.stop().catch(() => {})
    await link.close()
    await gw.stop()
  })
  for (const d of devices) await d.start()
  const punch = (n: number): void => {
    for (let i = 0; i < n; i++) for (const d of devices) d.punch({ emp: `E${1000 + i}`, method: 'card' })
  }
  const pending = (): number => devices.reduce((s, d) => s + d.ring.stats().pending, 0)

  punch(300)
  await until(() => pending() === 0, () => `the rings to drain (${pending()} pending)`)
  link.cut()
  await gw.stop()
  // Garbage over the whole file, as in gateway-backup.test.ts; then one more punch each, pending.
  writeFileSync(dbFile, Buffer.alloc(64 * 1024, 0x5a))
  punch(1)
  t.equal(pending(), 2)

  gw = await startGatewayProcess({ dataDir: gwDir, allowAnonymous: true, ...ports })
  t.ok(gw.logs.some(l => l.msg.startsWith('database failed its integrity check')), 'the file was found corrupt')
  link.restore()
  const asked = (): GatewayProcess['logs'] => gw.logs.filter(l => l.msg === 'asked device to resend what the restored database may lack')
  await until(() => asked().length === 2, 'both devices to be asked')
  await until(() => storedIds(dbFile).length === taken.length, () => `all ${taken.length} punches stored again (${storedIds(dbFile).length})`)
  const stored = new Set(storedIds(dbFile))
  t.same(taken.filter(id => !stored.has(id)), [], `every punch the devices took is back (${taken.length}, 2 of them pending at the start)`)
  t.match(asked().map(l => l.asked), [
    [{ highest: 301, capacity: 1000, ranges: [[1, 300], [302, 1301]] }],
    [{ highest: 301, capacity: 1000, ranges: [[1, 300], [302, 1301]] }]
  ], 'asked from the pending punch down, within the ring\'s capacity')
})
