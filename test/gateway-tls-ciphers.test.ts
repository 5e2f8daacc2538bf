/**
 * The mqtts listener offers forward-secret key exchange only: TLS 1.3, or TLS 1.2 with ECDHE. A client
 * that offers nothing else but a static-RSA suite is refused; ordinary clients connect. The certificate
 * is RSA on purpose: with an EC key the static-RSA suites could never be chosen anyway. The same holds
 * after a SIGHUP reload, which builds a new TLS context.
 */
import t, { type Test } from 'tap'
import { once } from 'node:events'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls'
import { startGatewayProcess, type GatewayProcess } from './helpers/gateway-process.js'
import { makeSelfSignedRsa } from './helpers/certs.js'
import { until } from './helpers/wait.js'

let gw: GatewayProcess
let ca: Buffer

t.before(async () => {
  const dir = t.testdir()
  const cert = makeSelfSignedRsa(dir, 'gateway')
  ca = readFileSync(cert.cert)
  const config = join(dir, 'gateway.json')
  writeFileSync(config, JSON.stringify({ mqtt: { tls: { port: 0, cert: cert.cert, key: cert.key } } }))
  gw = await startGatewayProcess({ dataDir: join(dir, 'gw'), args: ['--config', config] })
})

t.teardown(async () => { await gw?.stop() })

/** The negotiated protocol and cipher, or the handshake error. */
async function handshake (options: ConnectionOptions): Promise<{ protocol: string | null, cipher: string } | Error> {
  const socket = tlsConnect({ host: '127.0.0.1', port: gw.mqttsPort, ca, ...options })
  try {
    await once(socket, 'secureConnect')
    return { protocol: socket.getProtocol(), cipher: socket.getCipher().name }
  } catch (err) {
    return err as Error
  } finally {
    socket.destroy()
  }
}

async function checkSuites (t: Test): Promise<void> {
  const staticRsa = await handshake({ ciphers: 'AES128-GCM-SHA256', maxVersion: 'TLSv1.2' })
  t.type(staticRsa, Error, 'a client offering only AES128-GCM-SHA256 (static RSA, no forward secrecy) is refused')
  const tls12 = await handshake({ maxVersion: 'TLSv1.2' })
  t.match(tls12, { protocol: 'TLSv1.2', cipher: /^ECDHE-/ }, 'a TLS 1.2 client gets an ECDHE suite')
  const tls13 = await handshake({})
  t.match(tls13, { protocol: 'TLSv1.3' }, 'a TLS 1.3 client connects')
}

t.test('only forward-secret suites, TLS 1.2 at least', async t => {
  await checkSuites(t)
})

t.test('and still after a certificate reload (SIGHUP)', async t => {
  gw.kill('SIGHUP')
  await until(() => gw.logs.some(l => l.msg === 'TLS certificate reloaded'), 'the reload')
  await checkSuites(t)
})
