/**
 * What a CONNECT is refused for, on a real gateway (with --allow-anonymous, where the holes were) and real
 * sockets: a registered device that has a secret always needs it; MQTT 3.1 is refused with CONNACK 1
 * (PROTOCOL.md speaks 3.1.1); an invalid client id is logged only as a short escaped prefix.
 */
import t from 'tap'
import { connect as netConnect } from 'node:net'
import { Writable } from 'node:stream'
import { generate, parser as mqttParser, type IConnackPacket, type IConnectPacket } from 'mqtt-packet'
import { pino } from 'pino'
import { defaultConfig } from '../gateway/config.js'
import { Gateway } from '../gateway/gateway.js'
import { cli } from './helpers/gateway-process.js'
import { login } from './helpers/mqtt-login.js'
import { until } from './helpers/wait.js'

const logLines: string[] = []
const logSink = new Writable({ write (chunk: Buffer, _enc, cb) { logLines.push(...chunk.toString().split('\n').filter(l => l !== '')); cb() } })

const dir = t.testdir()
const r = cli(['devices', 'add', 'T-SEC', '--secret', 'the-secret-1', '--data', dir])
if (r.status !== 0) throw new Error(r.stderr)
const cfg = defaultConfig()
cfg.dataDir = dir
cfg.allowAnonymous = true
cfg.mqtt = { ...cfg.mqtt, host: '127.0.0.1', port: 0 }
cfg.http = { ...cfg.http, host: '127.0.0.1', port: 0 }
const gw = new Gateway(cfg, { log: pino({ level: 'info' }, logSink) })
const { mqttPort } = await gw.start()
t.teardown(async () => await gw.stop())

async function refused (reason: string): Promise<number> {
  const line = (await gw.metrics.registry.metrics()).split('\n').find(l => l.startsWith(`punchline_connections_refused_total{reason="${reason}"} `))
  return line === undefined ? 0 : Number(line.split(' ').pop())
}

/** Sends one CONNECT on a raw socket and returns the CONNACK's return code (undefined when closed without one). */
async function connack (packet: Omit<IConnectPacket, 'cmd'>, localAddress = '127.0.0.1'): Promise<number | undefined> {
  const socket = netConnect({ port: mqttPort, host: '127.0.0.1', localAddress })
  socket.on('error', () => {})
  const parser = mqttParser({ protocolVersion: packet.protocolVersion })
  const answer = new Promise<number | undefined>(resolve => {
    parser.on('packet', p => { if (p.cmd === 'connack') resolve((p as IConnackPacket).returnCode) })
    socket.on('close', () => resolve(undefined))
  })
  socket.on('data', (d: Buffer) => parser.parse(d))
  socket.write(generate({ cmd: 'connect', ...packet }))
  const code = await answer
  socket.destroy()
  return code
}

t.test('with --allow-anonymous a registered device that has a secret still needs it', async t => {
  const port = mqttPort
  const noCredentials = await login(port, '127.0.0.1', { clientId: 'T-SEC' })
  t.equal(noCredentials.ok ? 0 : noCredentials.code, 5, 'no username: not authorized')
  const noPassword = await login(port, '127.0.0.1', { clientId: 'T-SEC', username: 'T-SEC' })
  t.equal(noPassword.ok ? 0 : noPassword.code, 5, 'username without password: not authorized')
  const wrong = await login(port, '127.0.0.1', { clientId: 'T-SEC', username: 'T-SEC', password: 'not-it' })
  t.equal(wrong.ok ? 0 : wrong.code, 4, 'a wrong secret: bad username or password')
  t.equal(await refused('secret_required'), 2, 'counted')
  const right = await login(port, '127.0.0.1', { clientId: 'T-SEC', username: 'T-SEC', password: 'the-secret-1' })
  t.ok(right.ok, 'the right secret connects')
  if (right.ok) await right.client.endAsync()
  const lab = await login(port, '127.0.0.1', { clientId: 'T-LAB' })
  t.ok(lab.ok, 'a device without a secret still connects anonymously')
  if (lab.ok) await lab.client.endAsync()
})

t.test('MQTT 3.1 (protocol level 3) is refused with CONNACK 1, counted; 3.1.1 is served', async t => {
  t.equal(await connack({ protocolId: 'MQIsdp', protocolVersion: 3, clientId: 'T-OLD', clean: true, keepalive: 30 }), 1, 'unacceptable protocol version')
  t.equal(await refused('protocol_version'), 1, 'counted')
  t.equal(await connack({ protocolId: 'MQTT', protocolVersion: 4, clientId: 'T-NEW', clean: true, keepalive: 30 }), 0, '3.1.1 accepted')
})

t.test('an invalid client id is logged as a short escaped prefix, never whole', async t => {
  const long = 'Z'.repeat(3000) + '"\n\u0001'
  t.equal(await connack({ protocolId: 'MQTT', protocolVersion: 4, clientId: long, clean: true, keepalive: 30 }), 2, 'identifier rejected')
  const odd = 'a"b\\c\u0000d\u202e\ud800'
  // from another address: refusals are logged once per address and reason a minute
  t.equal(await connack({ protocolId: 'MQTT', protocolVersion: 4, clientId: odd, clean: true, keepalive: 30 }, '127.0.0.2'), 2, 'identifier rejected')
  await until(() => logLines.filter(l => l.includes('bad_client_id')).length === 2, 'both refusals logged')
  const entries = logLines.filter(l => l.includes('bad_client_id')).map(l => JSON.parse(l) as { client: string })
  t.ok(entries.every(e => e.client.length <= 200), `logged ids are short (${entries.map(e => e.client.length).join(', ')} chars)`)
  t.notOk(logLines.some(l => l.includes('Z'.repeat(200))), 'the long id is not in the log')
  t.ok(entries[0].client.startsWith('ZZZZ'), 'its prefix is')
  t.ok(/^[\x20-\x7e]*$/.test(entries[1].client), 'only printable ASCII in the log')
  t.equal(entries[1].client, 'a"b\\u005cc\\u0000d\\u202e\\ufffd', 'as \\u escapes (a lone surrogate reaches the broker as U+FFFD)')
})

t.test('an empty client id is refused (CONNACK 2), not named by the broker, even with --allow-anonymous', async t => {
  // MQTT 3.1.1 lets a broker assign an id to a clean session with none [MQTT-3.1.3-6]; here the id is the
  // device's name, so a broker-made one would let any client in as a new device.
  t.equal(await connack({ protocolId: 'MQTT', protocolVersion: 4, clientId: '', clean: true, keepalive: 30 }), 2, 'identifier rejected')
  t.ok(await refused('bad_client_id') >= 1, 'counted')
})

t.test('a client refused again and again writes one log line per address and reason a minute; the rest are counted', async t => {
  const before = logLines.filter(l => l.includes('connection refused')).length
  for (let i = 0; i < 40; i++) {
    t.equal(await connack({ protocolId: 'MQTT', protocolVersion: 4, clientId: `bad id ${i}`, clean: true, keepalive: 30 }, '127.0.0.3'), 2)
  }
  await until(async () => (await suppressed('connect-refused')) >= 39, 'the repeats are counted')
  const lines = logLines.filter(l => l.includes('connection refused')).length - before
  t.equal(lines, 1, 'one line for 40 refusals from one address')
})

async function suppressed (kind: string): Promise<number> {
  const line = (await gw.metrics.registry.metrics()).split('\n').find(l => l.startsWith(`punchline_log_suppressed_total{kind="${kind}"} `))
  return line === undefined ? 0 : Number(line.split(' ').pop())
}
