/**
 * A device that talks mqtts:// with the operator's CA to the gateway's own TLS listener (a self-signed
 * certificate made here with openssl): the device trusting only that certificate connects and gets its
 * punch acked; a device that trusts another CA refuses the gateway and keeps the punch in its ring.
 */
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { startGatewayProcess } from './helpers/gateway-process.js'
import { makeSelfSigned } from './helpers/certs.js'
import { until } from './helpers/wait.js'
import { parseDeviceConfig } from '../device/config.js'
import { DeviceRuntime } from '../device/runtime.js'

t.test('mqtts with the operator CA: connects, punches are acked; a foreign certificate is refused', async t => {
  const dir = t.testdir()
  const site = makeSelfSigned(dir, 'site')
  const stranger = makeSelfSigned(dir, 'stranger')
  const config = join(dir, 'gateway.json')
  writeFileSync(config, JSON.stringify({ mqtt: { tls: { port: 0, cert: site.cert, key: site.key } } }))
  const gw = await startGatewayProcess({ dataDir: join(dir, 'gw'), allowAnonymous: true, args: ['--config', config] })
  t.teardown(async () => { await gw.stop() })

  const device = (ca: string, ring: string): DeviceRuntime => new DeviceRuntime(parseDeviceConfig({
    id: 'T-TLS', broker: { url: gw.mqttsUrl, ca }, ring: { path: join(dir, ring), capacity: 100 }, uplink: { backoffCapMs: 200 }, clock: { trustSystemClock: true }
  }), { log: pino({ level: 'silent' }) })

  // try/finally: a runtime left running keeps reconnecting and the test file never ends.
  const ok = device(site.cert, 'a.bin')
  await ok.start()
  try {
    ok.punch({ emp: 'E1', method: 'card' })
    await until(() => ok.ring.stats().pending === 0, 'the punch acked over TLS', 15_000)
    t.equal(ok.ring.stats().pending, 0, 'acked over TLS')
    t.ok(ok.uplink.connected)
  } finally {
    await ok.stop()
  }

  const tlsRefusals = async (): Promise<number> => {
    const text = await (await fetch(gw.httpUrl + '/metrics')).text()
    const m = /^punchline_connections_refused_total\{reason="tls"\} (\d+)/m.exec(text)
    return m === null ? 0 : Number(m[1])
  }
  const before = await tlsRefusals()
  const refused = device(stranger.cert, 'b.bin')
  await refused.start()
  try {
    refused.punch({ emp: 'E2', method: 'card' })
    // The gateway sees the device hang up in the handshake: the refusal has happened, not merely "not yet".
    await until(async () => await tlsRefusals() > before, 'the gateway to count the refused handshake')
    t.notOk(refused.uplink.connected, 'a server the CA did not sign is not trusted')
    t.equal(refused.ring.stats().pending, 1, 'the punch waits in the ring')
    t.equal(refused.uplink.stats.connects, 0, 'never connected')
  } finally {
    await refused.stop()
  }
})
