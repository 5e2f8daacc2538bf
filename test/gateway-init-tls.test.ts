/**
 * TLS as the easy path: `punchline gateway --init` makes a site CA, a server certificate for this host's
 * names and a config that serves mqtts only; a gateway started on that config takes a real MQTT.js device
 * that trusts the CA, and its plain port stays closed. With the plain listener open and credentials
 * required, the start log and `punchline report` say that device secrets travel in clear text.
 */
import t from 'tap'
import { X509Certificate } from 'node:crypto'
import { readFileSync, renameSync, statSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { cli, startGatewayProcess } from './helpers/gateway-process.js'
import { batch, connectDevice } from './helpers/mqtt-device.js'
import { loadConfig } from '../gateway/config.js'
import type { BatchAck } from '../shared/codec/ack.js'

const CLEAR_TEXT = /device secrets travel in clear text/i

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>(resolve => server.close(() => resolve()))
  return port
}

async function listening (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

t.test('--init, then a TLS-only gateway: a device that trusts the CA gets its ack, the plain port is closed', async t => {
  const data = t.testdir()
  const init = cli(['gateway', '--init', '--data', data, '--host', 'gw.site.example', '--host', '10.1.2.3'])
  t.equal(init.status, 0, init.stderr)
  const tls = join(data, 'tls')
  const config = join(data, 'gateway.json')
  t.match(init.stdout, config, 'it says where the config is')
  t.match(init.stdout, join(tls, 'ca.pem'), 'and which file devices trust')

  const ca = new X509Certificate(readFileSync(join(tls, 'ca.pem')))
  const server = new X509Certificate(readFileSync(join(tls, 'gateway.pem')))
  t.ok(ca.ca, 'ca.pem is a CA')
  t.ok(server.checkIssued(ca) && server.verify(ca.publicKey), 'the server certificate is signed by it')
  t.notOk(server.ca, 'the server certificate is not a CA')
  for (const name of ['DNS:localhost', 'IP Address:127.0.0.1', 'DNS:gw.site.example', 'IP Address:10.1.2.3']) {
    t.match(server.subjectAltName, name, `subjectAltName has ${name}`)
  }
  for (const key of ['ca.key', 'gateway.key']) t.equal(statSync(join(tls, key)).mode & 0o777, 0o600, `${key} is 0600`)
  const written = JSON.parse(readFileSync(config, 'utf8')) as { mqtt: { plain: boolean, tls: { cert: string, key: string } } }
  t.match(written.mqtt, { plain: false, tls: { cert: join(tls, 'gateway.pem'), key: join(tls, 'gateway.key') } })

  const again = cli(['gateway', '--init', '--data', data])
  t.not(again.status, 0, 'a second --init does not overwrite')
  t.match(again.stderr, /already exists/)

  const added = cli(['devices', 'add', 'T-0001', '--data', data])
  t.equal(added.status, 0, added.stderr)
  const secret = added.stdout.trim().split(' ')[1]
  const plainPort = await freePort()
  const gw = await startGatewayProcess({ dataDir: data, args: ['--config', config], env: { PUNCHLINE_MQTTS_PORT: '0', PUNCHLINE_MQTT_PORT: String(plainPort) } })
  t.teardown(async () => await gw.stop())
  const ready = gw.logs.find(l => l.msg === 'gateway ready')!
  t.equal(ready.mqttPort, undefined, 'the ready line names no plain port')
  t.ok(gw.mqttsPort > 0)
  t.notOk(await listening(plainPort), `nothing listens on the plain port ${plainPort}`)
  t.notOk(gw.logs.some(l => CLEAR_TEXT.test(l.msg)), 'no clear-text warning')

  const dev = await connectDevice(gw.mqttsUrl, 'T-0001', { secret, extra: { ca: [readFileSync(join(tls, 'ca.pem'))] } })
  t.teardown(() => dev.close())
  t.equal((dev.client.stream as TLSSocket).encrypted, true, 'the device is on TLS')
  await dev.publish(batch('init-1', [1, 2]))
  t.same((await dev.ackFor('init-1') as BatchAck).ok, [[1, 2]])

  const report = cli(['report', '--data', data, '--config', config])
  t.equal(report.status, 0, report.stderr)
  t.notMatch(report.stdout, CLEAR_TEXT)
  t.match(report.stdout, /mqtt\s+plain listener closed/)
})

t.test('--init again with the CA in place and the server files moved away: a new certificate from the same CA', async t => {
  const data = t.testdir()
  t.equal(cli(['gateway', '--init', '--data', data]).status, 0)
  const tls = join(data, 'tls')
  const caBefore = readFileSync(join(tls, 'ca.pem'), 'utf8')
  const certBefore = readFileSync(join(tls, 'gateway.pem'), 'utf8')
  for (const f of [join(tls, 'gateway.pem'), join(tls, 'gateway.key'), join(data, 'gateway.json')]) renameSync(f, f + '.old')
  const renewed = cli(['gateway', '--init', '--data', data])
  t.equal(renewed.status, 0, renewed.stderr)
  t.match(renewed.stdout, /from the existing site CA/)
  t.equal(readFileSync(join(tls, 'ca.pem'), 'utf8'), caBefore, 'the CA is kept')
  const cert = new X509Certificate(readFileSync(join(tls, 'gateway.pem')))
  t.not(cert.toString(), certBefore, 'a new server certificate')
  t.ok(cert.checkIssued(new X509Certificate(caBefore)), 'issued by the same CA')
})

t.test('plain listener open with credentials required: the start log and the report say secrets travel in clear', async t => {
  const data = t.testdir()
  const gw = await startGatewayProcess({ dataDir: data })
  const warning = gw.logs.find(l => CLEAR_TEXT.test(l.msg))
  await gw.stop()
  t.equal(warning?.level, 40, 'a warning at start')
  const report = cli(['report', '--data', data])
  t.equal(report.status, 0, report.stderr)
  t.match(report.stdout, CLEAR_TEXT)
  const json = JSON.parse(cli(['report', '--data', data, '--json']).stdout) as { security: { secretsInClearText: boolean } }
  t.equal(json.security.secretsInClearText, true)
})

t.test('the plain listener can be closed only with TLS on', async t => {
  t.throws(() => loadConfig({ env: { PUNCHLINE_MQTT_PLAIN: 'false' } }), /mqtt\.plain: false needs the mqtts listener/)
  const cfg = loadConfig({ env: { PUNCHLINE_MQTT_PLAIN: 'false', PUNCHLINE_TLS_CERT: 'c.pem', PUNCHLINE_TLS_KEY: 'k.pem' } })
  t.equal(cfg.mqtt.plain, false)
  t.throws(() => loadConfig({ env: { PUNCHLINE_MQTT_PLAIN: 'no' } }), /PUNCHLINE_MQTT_PLAIN: must be true or false/)
})
