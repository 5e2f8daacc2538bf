/**
 * The gateway's own mqtts listener, in a real gateway process: devices that trust the site's CA connect,
 * authenticate and get their acks exactly as on the plain port; handshakes that fail (plain MQTT, a client
 * that trusts another CA) are counted and the gateway keeps serving; bad certificate settings stop the
 * start naming the file; SIGHUP serves a renewed certificate to new connections.
 * Certificates are made here with openssl (helpers/certs.ts).
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { CLI, cli, startGatewayProcess, type GatewayProcess, type LogLine } from './helpers/gateway-process.js'
import { batch, connectDevice } from './helpers/mqtt-device.js'
import { fingerprintOf, makeCa, makeServerCert, type CertFiles } from './helpers/certs.js'
import { until } from './helpers/wait.js'
import { parseDeviceConfig } from '../device/config.js'
import { DeviceRuntime } from '../device/runtime.js'
import type { BatchAck } from '../shared/codec/ack.js'

const dir = t.testdir()
let gw: GatewayProcess
let ca: CertFiles
let caPem: Buffer
/** the paths in the gateway's config; the SIGHUP test writes a renewed certificate over them */
const served: CertFiles = { cert: join(dir, 'gateway.pem'), key: join(dir, 'gateway.key') }
const secrets: Record<string, string> = {}

function gatewayConfig (name: string, tls: CertFiles): string {
  const file = join(dir, `${name}.json`)
  writeFileSync(file, JSON.stringify({ mqtt: { tls: { port: 0, cert: tls.cert, key: tls.key } } }))
  return file
}

async function metric (series: string): Promise<number> {
  const text = await (await fetch(gw.httpUrl + '/metrics')).text()
  const line = text.split('\n').find(l => l.startsWith(series + ' '))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}

const tlsRefusals = async (): Promise<number> => await metric('punchline_connections_refused_total{reason="tls"}')

/** The fingerprint of the certificate a new connection is served, verified against the site CA. */
async function servedFingerprint (): Promise<string> {
  const socket: TLSSocket = tlsConnect({ host: '127.0.0.1', port: gw.mqttsPort, ca: caPem })
  await once(socket, 'secureConnect')
  const fingerprint = socket.getPeerCertificate().fingerprint256
  socket.destroy()
  return fingerprint
}

const logged = (msg: string): LogLine[] => gw.logs.filter(l => l.msg === msg)

t.before(async () => {
  ca = makeCa(dir, 'site-ca')
  caPem = readFileSync(ca.cert)
  // Ten days left: the start must warn about it.
  const first = makeServerCert(dir, 'first', ca, 10)
  copyFileSync(first.cert, served.cert)
  copyFileSync(first.key, served.key)
  const data = join(dir, 'gw')
  for (const id of ['T-0001', 'T-0002', 'T-0003']) {
    const r = cli(['devices', 'add', id, '--data', data])
    if (r.status !== 0) throw new Error(r.stderr)
    secrets[id] = r.stdout.trim().split(' ')[1]
  }
  // debug: failed handshakes are logged at that level.
  gw = await startGatewayProcess({ dataDir: data, args: ['--config', gatewayConfig('gateway', served)], env: { PUNCHLINE_LOG_LEVEL: 'debug' } })
})

t.teardown(async () => { await gw?.stop() })

t.test('the ready line names the mqtts port; the start logs the certificate and warns it expires soon', async t => {
  t.ok(gw.mqttsPort > 0, 'mqttsPort in the ready line')
  t.not(gw.mqttsPort, gw.mqttPort)
  const serving = logged('TLS listener serving certificate')
  t.equal(serving.length, 1)
  t.equal(serving[0].fingerprint256, fingerprintOf(served.cert))
  t.match(serving[0].subject, /CN=localhost/)
  const warning = logged('TLS certificate expires within 30 days: renew it and send SIGHUP')
  t.equal(warning.length, 1)
  t.equal(warning[0].level, 40)
  t.equal(warning[0].validTo, serving[0].validTo)
  t.ok((warning[0].daysLeft as number) >= 8 && (warning[0].daysLeft as number) <= 10, 'about ten days left')
})

t.test('MQTT.js with the site CA: connects over TLS, publishes a batch, gets its ack', async t => {
  const dev = await connectDevice(gw.mqttsUrl, 'T-0001', { secret: secrets['T-0001'], extra: { ca: [caPem] } })
  t.teardown(() => dev.close())
  t.equal((dev.client.stream as TLSSocket).encrypted, true, 'the connection is TLS')
  await dev.publish(batch('tls-1', [1, 2, 3]))
  const ack = await dev.ackFor('tls-1') as BatchAck
  t.same(ack.ok, [[1, 3]])
  t.same(ack.rejected, [])
})

t.test('credentials are checked on the TLS port as on the plain one', async t => {
  const extra = { ca: [caPem] }
  await t.rejects(connectDevice(gw.mqttsUrl, 'T-0001', { secret: 'wrong-secret', extra }), /Bad username or password/i)
  await t.rejects(connectDevice(gw.mqttsUrl, 'T-0001', { subscribe: false, extra }), /Not authorized/i)
  await t.rejects(connectDevice(gw.mqttsUrl, 'NOPE-9', { secret: 'whatever-secret', extra }), /Bad username or password/i)
  // The ACL too: a publish on another device's topic is refused and the connection dropped.
  const denied = await metric('punchline_acl_denied_total{action="publish"}')
  const dev = await connectDevice(gw.mqttsUrl, 'T-0003', { secret: secrets['T-0003'], extra })
  t.teardown(() => dev.close())
  const closed = new Promise<void>(resolve => dev.client.once('close', () => resolve()))
  dev.client.publish('att/v1/T-0001/punches', JSON.stringify(batch('x-1', [1])), { qos: 1 })
  await closed
  t.equal(await metric('punchline_acl_denied_total{action="publish"}'), denied + 1, 'counted as an ACL refusal')
})

t.test('the device runtime (device/config: mqtts URL and CA file) delivers a punch', async t => {
  const device = new DeviceRuntime(parseDeviceConfig({
    id: 'T-0002',
    secret: secrets['T-0002'],
    broker: { url: gw.mqttsUrl, ca: ca.cert },
    ring: { path: join(dir, 'T-0002.ring'), capacity: 100 },
    uplink: { backoffCapMs: 200 },
    clock: { trustSystemClock: true }
  }), { log: pino({ level: 'silent' }) })
  t.teardown(() => device.stop())
  await device.start()
  device.punch({ emp: 'E1', method: 'card' })
  await until(() => device.ring.stats().pending === 0, 'the punch acked over mqtts', 15_000)
  t.ok(device.uplink.connected)
  t.equal(device.uplink.stats.punchesAcked, 1)
})

t.test('plain MQTT on the TLS port fails the handshake; the gateway counts it and keeps serving', async t => {
  const before = await tlsRefusals()
  await t.rejects(mqtt.connectAsync(`mqtt://127.0.0.1:${gw.mqttsPort}`, {
    clientId: 'T-0001', username: 'T-0001', password: secrets['T-0001'], protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000
  }, false))
  await until(async () => await tlsRefusals() > before, 'punchline_connections_refused_total{reason="tls"} to grow')
  // The log line comes through the child's stdout, which may be read after the metrics answer.
  const withReason = (): boolean => logged('TLS handshake failed').some(l => l.level === 20 && /wrong version number/.test(String(l.err)))
  await until(withReason, 'the failed handshake logged').catch(() => {})
  t.ok(withReason(), 'logged at debug with the reason')
  t.equal(gw.child.exitCode, null, 'the gateway still runs')
  const dev = await connectDevice(gw.mqttsUrl, 'T-0001', { secret: secrets['T-0001'], extra: { ca: [caPem] } })
  t.teardown(() => dev.close())
  await dev.publish(batch('tls-2', [4]))
  t.same((await dev.ackFor('tls-2') as BatchAck).ok, [[4, 4]], 'served after the failed handshake')
})

t.test('a client that trusts another CA refuses the gateway, and the gateway counts it', async t => {
  const stranger = makeCa(dir, 'stranger-ca')
  const before = await tlsRefusals()
  await t.rejects(connectDevice(gw.mqttsUrl, 'T-0001', { secret: secrets['T-0001'], extra: { ca: [readFileSync(stranger.cert)] } }),
    { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })
  await until(async () => await tlsRefusals() > before, 'punchline_connections_refused_total{reason="tls"} to grow')
})

t.test('SIGHUP: new connections get the renewed certificate, open connections stay', async t => {
  const dev = await connectDevice(gw.mqttsUrl, 'T-0001', { secret: secrets['T-0001'], extra: { ca: [caPem] } })
  t.teardown(() => dev.close())
  const old = fingerprintOf(served.cert)
  t.equal(await servedFingerprint(), old, 'serving the first certificate before the reload')

  const renewed = makeServerCert(dir, 'renewed', ca, 365)
  copyFileSync(renewed.key, served.key)
  copyFileSync(renewed.cert, served.cert)
  const fresh = fingerprintOf(served.cert)
  t.not(fresh, old)
  gw.kill('SIGHUP')
  await until(() => logged('TLS certificate reloaded').length === 1, 'the reload log line')
  const reloaded = logged('TLS certificate reloaded')[0]
  t.equal(reloaded.fingerprint256, fresh)
  t.ok((reloaded.daysLeft as number) >= 363, 'the new expiry is logged')
  t.equal(await servedFingerprint(), fresh, 'a new connection is served the renewed certificate')

  t.equal(gw.child.exitCode, null, 'SIGHUP does not stop the gateway')
  await dev.publish(batch('tls-3', [5]))
  t.same((await dev.ackFor('tls-3') as BatchAck).ok, [[5, 5]], 'a connection opened before the reload keeps working')
})

t.test('a reload from an unreadable file keeps serving the current certificate', async t => {
  const current = fingerprintOf(served.cert)
  const good = readFileSync(served.cert)
  t.teardown(() => writeFileSync(served.cert, good))
  writeFileSync(served.cert, 'not a certificate\n')
  gw.kill('SIGHUP')
  await until(() => logged('TLS certificate reload failed: still serving the previous certificate').length === 1, 'the failed reload log line')
  const failed = logged('TLS certificate reload failed: still serving the previous certificate')[0]
  t.equal(failed.level, 50)
  t.match(failed.err, served.cert, 'the message names the file')
  t.equal(await servedFingerprint(), current)
})

t.test('bad certificate settings stop the start with a message naming the file', async t => {
  const other = makeServerCert(dir, 'other', ca, 30)
  const garbage = join(dir, 'garbage.pem')
  writeFileSync(garbage, 'hello\n')
  const cases: Array<{ name: string, tls: CertFiles, names: string, says: RegExp }> = [
    { name: 'missing cert', tls: { cert: join(dir, 'no-such.pem'), key: served.key }, names: join(dir, 'no-such.pem'), says: /mqtt\.tls\.cert: cannot read/ },
    { name: 'cert not PEM', tls: { cert: garbage, key: served.key }, names: garbage, says: /mqtt\.tls\.cert: .* is not a PEM file/ },
    { name: 'key not PEM', tls: { cert: served.cert, key: garbage }, names: garbage, says: /mqtt\.tls\.key: .* is not a PEM file/ },
    { name: 'key of another certificate', tls: { cert: served.cert, key: other.key }, names: other.key, says: /mqtt\.tls\.key: .* is not the key of the certificate/ }
  ]
  for (const c of cases) {
    const data = join(dir, 'bad-' + c.name.replace(/ /g, '-'))
    mkdirSync(data)
    const r = spawnSync(process.execPath, [CLI, 'gateway', '--data', data, '--mqtt-port', '0', '--http-port', '0',
      '--config', gatewayConfig(c.name.replace(/ /g, '-'), c.tls)], { encoding: 'utf8', timeout: 30_000 })
    t.equal(r.status, 1, `${c.name}: exits 1`)
    t.match(r.stderr, c.says, `${c.name}: says what is wrong`)
    t.ok(r.stderr.includes(c.names), `${c.name}: names ${c.names}`)
    t.notMatch(r.stdout, /gateway ready/, `${c.name}: never ready`)
  }
})
