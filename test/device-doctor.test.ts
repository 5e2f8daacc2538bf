/**
 * `punchline doctor` against a real gateway: what it says when all is well, when the secret is wrong,
 * when the gateway is down, and when the config is broken.
 */
import t from 'tap'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { pino } from 'pino'
import { startGatewayProcess, cli } from './helpers/gateway-process.js'
import { parseDeviceConfig } from '../device/config.js'
import { formatChecks, runChecks } from '../device/doctor.js'

const log = pino({ level: 'silent' })

t.test('doctor checks ring, disk, broker, credentials and clock', async t => {
  const dir = t.testdir()
  const gw = await startGatewayProcess({ dataDir: join(dir, 'gw') })
  t.teardown(async () => await gw.stop())
  const added = cli(['devices', 'add', 'T-9', '--data', join(dir, 'gw')])
  const secret = added.stdout.trim().split(/\s+/)[1]
  const base = { id: 'T-9', broker: { url: gw.mqttUrl }, ring: { path: join(dir, 'ring.bin'), capacity: 100 } }

  const good = await runChecks(parseDeviceConfig({ ...base, secret }), { log, inputs: [] })
  t.same(good.map(c => [c.name, c.verdict]), [['config', 'ok'], ['ring', 'ok'], ['disk', 'ok'], ['broker', 'ok'], ['clock', 'ok']])
  t.match(good.find(c => c.name === 'ring')?.detail, /CRC scan clean; 0 of 100 slots/)
  t.match(good.find(c => c.name === 'clock')?.detail, /offset against the gateway -?\d+\.\d s/)
  t.match(formatChecks(good), /device looks healthy/)

  const skewed = await runChecks(parseDeviceConfig({ ...base, secret }), { log, inputs: [], now: () => Date.now() - 3_600_000 })
  const clock = skewed.find(c => c.name === 'clock')
  t.match(clock, { verdict: 'warn', detail: /offset against the gateway \d+\.\d s: .*NTP or the RTC battery/ })
  // The offset is the gateway's time as received less the device's clock: the time message's delay makes
  // it read short of the hour by that delay (3599.9 s seen at load 13), never long.
  const offset = Number(/gateway (\d+\.\d) s/.exec(clock?.detail ?? '')?.[1])
  t.ok(offset > 3590 && offset <= 3600.1, `offset ${offset} s is the hour less the time message's delay`)

  const wrong = await runChecks(parseDeviceConfig({ ...base, secret: 'not-the-secret' }), { log, inputs: [] })
  t.match(wrong.find(c => c.name === 'broker'), { verdict: 'fail', detail: /refused the credentials: check id and secret/ })
  t.match(formatChecks(wrong), /1 problem\(s\) to fix/)

  const down = await runChecks(parseDeviceConfig({ ...base, broker: { url: 'mqtt://127.0.0.1:1' } }), { log, inputs: [] })
  t.match(down.find(c => c.name === 'broker'), { verdict: 'fail', detail: /check broker.url, the network, and that the gateway runs/ })
})

t.test('doctor CLI: a broken config is one FAIL line and exit 1', async t => {
  const file = join(t.testdir(), 'device.json')
  writeFileSync(file, JSON.stringify({ id: 'T-1', broker: { url: 'http://nope' } }))
  const r = cli(['doctor', '--config', file])
  t.equal(r.status, 1)
  t.match(r.stdout, /FAIL\s+config\s+\S+device\.json: broker\.url: must start with mqtt/)
})

t.test('doctor finds the BLE adapter through node-ble, and says so when BlueZ is absent', async t => {
  const { startPrivateDbus } = await import('./helpers/private-dbus.js')
  const { FakeBluez } = await import('../fakes/hardware/fake-bluez.js')
  const { bleAdapter } = await import('../device/doctor.js')
  const bus = await startPrivateDbus()
  const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS
  process.env.DBUS_SYSTEM_BUS_ADDRESS = bus.address
  t.teardown(async () => { process.env.DBUS_SYSTEM_BUS_ADDRESS = saved; await bus.stop() })
  await t.rejects(bleAdapter(1000), /BlueZ|org\.bluez|ServiceUnknown|not provided/i, 'no BlueZ on the bus: a reason, not a hang')
  const bluez = await FakeBluez.start({ busAddress: bus.address })
  t.teardown(async () => await bluez.stop())
  t.match(await bleAdapter(), /punchline-fake [0-9A-F:]{17}, powered: true/)
  const config = parseDeviceConfig({ id: 'W-1', profile: 'watch', broker: { url: 'mqtt://127.0.0.1:1' }, ring: { path: join(t.testdir(), 'r.bin') } })
  const checks = await runChecks(config, { log, inputs: [], bleAdapter: async () => await bleAdapter() })
  t.match(checks.find(c => c.name === 'ble adapter'), { verdict: 'ok', detail: /punchline-fake/ })
})
