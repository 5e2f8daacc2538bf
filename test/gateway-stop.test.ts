/**
 * SIGTERM while devices stay connected: the gateway ends their connections and exits 0, instead of
 * waiting for them to leave (a supervisor would otherwise wait out its stop timeout and SIGKILL it).
 */
import t from 'tap'
import { startGatewayProcess } from './helpers/gateway-process.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'

t.test('SIGTERM with devices connected: connections ended, exit 0', async t => {
  const gw = await startGatewayProcess({ dataDir: t.testdir(), allowAnonymous: true })
  t.teardown(() => gw.kill())
  const devices = await Promise.all(['S-1', 'S-2', 'S-3'].map(async id => await connectDevice(gw.mqttUrl, id)))
  await devices[0].publish(batch('b-1', [1, 2, 3]))
  t.match(await devices[0].ackFor('b-1'), { ok: [[1, 3]] })
  const dropped = devices.map(async d => await new Promise<void>(resolve => d.client.once('close', () => resolve())))
  gw.kill('SIGTERM')
  const exit = await gw.exited
  t.same(exit, { code: 0, signal: null }, 'a clean exit')
  await Promise.all(dropped)
  t.pass('every device saw its connection end')
  t.ok(gw.logs.some(l => l.msg === 'gateway stopped'))
  for (const d of devices) await d.close()
})
