/**
 * A device that talks mqtts:// with the operator's CA: a TLS front (Node's tls, a certificate made here
 * with openssl) before a real gateway, the device trusting only that CA, and refusing a server whose
 * certificate its CA did not sign.
 */
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { createServer, type Server } from 'node:tls'
import { join } from 'node:path'
import { pino } from 'pino'
import { startGatewayProcess } from './helpers/gateway-process.js'
import { parseDeviceConfig } from '../device/config.js'
import { DeviceRuntime } from '../device/runtime.js'

function makeCert (dir: string, name: string): { key: string, cert: string } {
  const key = join(dir, `${name}.key`)
  const cert = join(dir, `${name}.pem`)
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' })
  return { key, cert }
}

async function tlsFront (cert: { key: string, cert: string }, port: number): Promise<{ server: Server, port: number }> {
  const server = createServer({ key: readFileSync(cert.key), cert: readFileSync(cert.cert) }, (socket) => {
    const upstream = connect(port, '127.0.0.1')
    socket.pipe(upstream).pipe(socket)
    socket.on('error', () => upstream.destroy())
    upstream.on('error', () => socket.destroy())
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as { port: number }).port }
}

t.test('mqtts with the operator CA: connects, punches are acked; a foreign certificate is refused', async t => {
  const dir = t.testdir()
  const gw = await startGatewayProcess({ dataDir: join(dir, 'gw'), allowAnonymous: true })
  const site = makeCert(dir, 'site')
  const stranger = makeCert(dir, 'stranger')
  const good = await tlsFront(site, gw.mqttPort)
  const bad = await tlsFront(stranger, gw.mqttPort)
  t.teardown(async () => { good.server.close(); bad.server.close(); await gw.stop() })

  const device = (url: string, ring: string): DeviceRuntime => new DeviceRuntime(parseDeviceConfig({
    id: 'T-TLS', broker: { url, ca: site.cert }, ring: { path: join(dir, ring), capacity: 100 }, uplink: { backoffCapMs: 200 }, clock: { trustSystemClock: true }
  }), { log: pino({ level: 'silent' }) })

  const ok = device(`mqtts://127.0.0.1:${good.port}`, 'a.bin')
  await ok.start()
  ok.punch({ emp: 'E1', method: 'card' })
  const deadline = Date.now() + 15_000
  while (ok.ring.stats().pending > 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(ok.ring.stats().pending, 0, 'acked over TLS')
  t.ok(ok.uplink.connected)
  await ok.stop()

  const refused = device(`mqtts://127.0.0.1:${bad.port}`, 'b.bin')
  await refused.start()
  refused.punch({ emp: 'E2', method: 'card' })
  await new Promise(resolve => setTimeout(resolve, 1000))
  t.notOk(refused.uplink.connected, 'a server the CA did not sign is not trusted')
  t.equal(refused.ring.stats().pending, 1, 'the punch waits in the ring')
  await refused.stop()
})
