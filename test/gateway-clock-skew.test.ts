/**
 * The clock-skew rule end to end: a terminal whose trusted clock runs 3 h slow takes punches, connects,
 * is corrected by the gateway's time command, and reports the jump in its status before it uploads (the
 * uplink waits for the time command); the punches stamped by the wrong clock arrive flagged, those after
 * the correction do not. Real gateway process, real device runtime and ring, real upstream.
 */
import t from 'tap'
import { join } from 'node:path'
import { pino } from 'pino'
import { startGatewayProcess } from './helpers/gateway-process.js'
import { until } from './helpers/wait.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { parseDeviceConfig } from '../device/config.js'
import { DeviceRuntime } from '../device/runtime.js'

const H = 3_600_000

t.test('punches stamped before a 3 h clock correction are flagged clock-skew, later ones are not', async t => {
  const dir = t.testdir()
  const sink = new WebhookUpstream()
  await sink.start()
  const gw = await startGatewayProcess({ dataDir: join(dir, 'gw'), upstream: sink.url, allowAnonymous: true })
  t.teardown(async () => { await gw.stop(); await sink.close() })
  const rt = new DeviceRuntime(parseDeviceConfig({
    id: 'SKEW-1',
    broker: { url: gw.mqttUrl },
    ring: { path: join(dir, 'ring.bin'), capacity: 100 },
    clock: { trustSystemClock: true },
    duplicateWindowMs: 0
  }), { log: pino({ level: 'silent' }), systemNow: () => Date.now() - 3 * H })
  t.teardown(async () => await rt.stop())
  t.ok(rt.clock.synced, 'the device believes its clock')
  for (const emp of ['A', 'B', 'C']) t.match(rt.punch({ emp, method: 'card' }), { outcome: 'accepted' })

  await rt.start()
  await until(() => sink.received.size === 3, 'the three offline punches upstream', 15_000)
  t.ok(Math.abs(rt.clock.offsetMs - 3 * H) < 60_000, 'the gateway moved the clock forward by 3 h')
  for (const p of sink.punches.values()) t.match(p, { flags: ['clock-skew'] }, `${p.emp}: stamped by the slow clock`)

  t.match(rt.punch({ emp: 'D', method: 'card' }), { outcome: 'accepted' })
  await until(() => sink.received.size === 4, 'the punch after the correction', 15_000)
  const d = [...sink.punches.values()].find(p => p.emp === 'D')!
  t.same(d.flags, [], 'stamped by the corrected clock')
  t.ok(Math.abs(Date.parse(d.ts) - Date.now()) < 60_000, 'and its time is right')
})
