/**
 * A device's broker list (`broker.failoverUrls`, docs/OPERATIONS.md "Topologies"): the other nodes of a
 * clustered broker, tried in turn after `broker.url` when an attempt fails or the connection is lost. Real
 * Mosquitto brokers stand for the cluster's nodes; one is killed with SIGKILL.
 */
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { parseDeviceConfig } from '../device/config.js'
import { DeviceRuntime } from '../device/runtime.js'
import { faultDeviceConfig } from '../faults/load.js'
import { startMosquitto } from './helpers/mosquitto.js'
import { freePort } from './helpers/ports.js'
import { until } from './helpers/wait.js'

t.test('broker.failoverUrls is checked URL by URL, and a config without it is unchanged', async t => {
  t.throws(() => parseDeviceConfig({ id: 'D1', broker: { url: 'mqtt://a:1883', failoverUrls: ['mqtt://b:1883', 'http://c'] } }),
    /broker\.failoverUrls\[1\]: must start with mqtt:\/\/ or mqtts:\/\//)
  t.throws(() => parseDeviceConfig({ id: 'D1', broker: { url: 'mqtt://a:1883', failoverUrls: 'mqtt://b:1883' } }),
    /broker\.failoverUrls: must be a list/)
  t.same(parseDeviceConfig({ id: 'D1', broker: { url: 'mqtt://a:1883' } }).broker.failoverUrls, [], 'none by default')
})

t.test('a device whose broker is down connects to the next; when that one dies, to the one after', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-failover-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const down = `mqtt://127.0.0.1:${await freePort()}`
  const b1 = await startMosquitto(t)
  const b2 = await startMosquitto(t)
  const seen = new Map<string, number>()
  for (const b of [b1, b2]) {
    const watcher = await mqtt.connectAsync(b.url, { clientId: `watch-${b.port}` })
    t.teardown(async () => { await watcher.endAsync(true) })
    watcher.on('message', () => { seen.set(b.url, (seen.get(b.url) ?? 0) + 1) })
    await watcher.subscribeAsync('att/v1/FO-1/status', { qos: 1 })
  }
  const config = parseDeviceConfig({ ...faultDeviceConfig('FO-1', { dir, url: down, capacity: 64 }), broker: { url: down, failoverUrls: [b1.url, b2.url] } })
  const device = new DeviceRuntime(config, { log: pino({ level: 'silent' }) })
  t.teardown(async () => await device.stop())
  await device.start()
  await until(() => (seen.get(b1.url) ?? 0) > 0, 'the device status on the second broker of its list', 20_000)
  t.equal(seen.get(b2.url) ?? 0, 0, 'nothing on the third while the second answers')

  b1.process.kill('SIGKILL')
  await until(() => (seen.get(b2.url) ?? 0) > 0, 'the device status on the third broker after the second died', 20_000)
  t.ok(device.uplink.stats.connects >= 2, `connected twice (${device.uplink.stats.connects})`)
})
