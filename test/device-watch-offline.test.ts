/**
 * A watch offline for 72 virtual hours while its wearer punches: once the link is back, every punch is
 * delivered upstream once, newest first, and the status the gateway keeps says what happened. The watch
 * runs on a virtual clock (systemNow and uptime); the gateway, the broker and the upstream are real.
 */
import t from 'tap'
import { join } from 'node:path'
import { pino } from 'pino'
import { startGatewayProcess } from './helpers/gateway-process.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { LinkProxy } from '../fakes/link/netem.js'
import { parseDeviceConfig } from '../device/config.js'
import { DeviceRuntime } from '../device/runtime.js'
import type { DeviceStatus } from '../shared/codec/status.js'
import { until as waitFor } from './helpers/wait.js'

const until = async (cond: () => boolean | Promise<boolean>, what: string): Promise<void> => await waitFor(cond, what, 30_000)

const HOUR = 3_600_000
const STEP = 15 * 60_000

t.test('watch profile: 72 virtual hours offline, then everything delivered once, newest first', async t => {
  const dir = t.testdir()
  const sink = new WebhookUpstream()
  await sink.start()
  const gw = await startGatewayProcess({ dataDir: join(dir, 'gw'), upstream: sink.url, allowAnonymous: true })
  const link = new LinkProxy({ host: '127.0.0.1', port: gw.mqttPort })
  const port = await link.listen()
  link.cut()

  const end = Date.now()
  let virtual = end - 72 * HOUR
  const startVirtual = virtual
  const config = parseDeviceConfig({
    id: 'W-0001',
    profile: 'watch',
    broker: { url: `mqtt://127.0.0.1:${port}` },
    ring: { path: join(dir, 'watch-ring.bin') },
    uplink: { backoffCapMs: 300 },
    tz: 480
  })
  t.equal(config.ring.capacity, 500, 'the watch profile: a few hundred slots')
  t.equal(config.uplink.window, 1)
  const runtime = new DeviceRuntime(config, { log: pino({ level: 'silent' }), systemNow: () => virtual, monotonic: () => virtual - startVirtual })
  const ackOrder: number[][] = []
  runtime.uplink.on('acked', (acked: number[]) => ackOrder.push(acked))
  t.teardown(async () => { await runtime.stop().catch(() => {}); await link.close(); await gw.stop(); await sink.close() })
  await runtime.start()

  // 72 hours, a punch every 15 minutes: 288 punches, none of which can leave the watch.
  const outcomes: string[] = []
  while (virtual + STEP <= end) {
    const n = outcomes.length
    outcomes.push(runtime.punch({ emp: 'E' + String(1000 + (n % 7)), method: 'ble', kind: n % 2 === 0 ? 'in' : 'out' }).outcome)
    virtual += STEP
  }
  t.equal(outcomes.length, 288)
  t.ok(outcomes.every(o => o === 'accepted'), 'every punch accepted while offline')
  const offline = runtime.ring.stats()
  t.equal(offline.pending, 288, 'all 288 wait in the ring')
  t.equal(runtime.uplink.stats.punchesAcked, 0, 'nothing went out while the link was down')

  virtual = end
  link.restore()
  runtime.syncNow()
  await until(() => runtime.ring.stats().pending === 0, 'the ring to drain')
  await sink.waitFor(() => sink.received.size === 288, 20_000)
  t.ok([...sink.received.values()].every(c => c === 1), 'each punch delivered exactly once')

  // Newest first: the first ack frees the newest batch, and batches walk back in time.
  t.equal(ackOrder[0].length, 50, 'the first batch is full')
  t.equal(Math.max(...ackOrder[0]), 288, 'the newest punch went first')
  const firstOfEach = ackOrder.map(a => Math.max(...a))
  t.same(firstOfEach, [...firstOfEach].sort((a, b) => b - a), 'each batch older than the one before')

  // Taken with an unsynced clock: flagged, with the uptime needed to correct them.
  const first = sink.punches.get(`W-0001:${runtime.ring.epoch}:1`)!
  t.ok(first.flags.includes('clock-unsynced'), 'offline punches were taken with an unsynced clock')
  t.ok(first.flags.includes('expired'), 'the oldest arrived after the 72 h retention')
  t.ok(sink.punches.get(`W-0001:${runtime.ring.epoch}:100`)!.flags.includes('late-sync'), 'a 47 h old punch arrived late')
  t.equal(first.up, 0, 'the first punch carries its uptime')
  t.equal(sink.punches.get(`W-0001:${runtime.ring.epoch}:288`)!.up, 287 * STEP)
  t.ok(runtime.clock.synced, 'the gateway set the clock on connect')

  // The status the gateway keeps matches what happened.
  runtime.uplink.publishStatus()
  let status: DeviceStatus | null = null
  await until(async () => {
    const devices = await (await gw.api('/api/devices')).json() as Array<{ id: string, status: DeviceStatus | null }>
    status = devices.find(d => d.id === 'W-0001')?.status ?? null
    return status?.ring?.pending === 0 && status.clock?.synced === true
  }, 'the gateway to hold the latest status')
  t.match(status, { online: true, ring: { capacity: 500, pending: 0, overwritten: 0, refused: 0, oldestPendingTs: null }, clock: { synced: true } })
  t.equal(runtime.stats().accepted, 288)
})
