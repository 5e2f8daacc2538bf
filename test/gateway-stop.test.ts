/**
 * SIGTERM while devices stay connected: the gateway ends their connections and exits 0, instead of
 * waiting for them to leave (a supervisor would otherwise wait out its stop timeout and SIGKILL it). And a
 * start that fails ends the process, so that the supervisor starts it again.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { createServer, type AddressInfo } from 'node:net'
import { CLI, startGatewayProcess } from './helpers/gateway-process.js'
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

t.test('a start that fails halfway (the HTTP port taken) exits 1 instead of staying up half started', async t => {
  const taken = createServer()
  await new Promise<void>(resolve => taken.listen(0, '0.0.0.0', () => resolve()))
  t.teardown(() => { taken.close() })
  const port = (taken.address() as AddressInfo).port
  const child = spawn(process.execPath, [CLI, 'gateway', '--data', t.testdir(), '--mqtt-port', '0', '--http-port', String(port), '--allow-anonymous'], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  child.stdout.resume()
  // Before the fix it stayed up with its broker listening (acknowledging punches it never forwarded).
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => child.once('exit', (c, s) => resolve([c, s])))
  clearTimeout(timer)
  t.same({ code, signal }, { code: 1, signal: null }, 'exited by itself, with an error')
  t.match(stderr, /EADDRINUSE/)
})
