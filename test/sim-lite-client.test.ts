/**
 * The simulator's lite MQTT client (sim/fleet/lite-client.ts) under the device's real Uplink, against real
 * gateway processes: one lab gateway (--allow-anonymous) and one with device credentials and an mqtts
 * listener. The uplink's contract runs twice, once over MQTT.js (the device's default) and once over the
 * lite client, so the simulator's 10,000 devices behave as one real device does. A wire tap (a TCP proxy
 * decoding both directions with mqtt-packet) shows what the client put on the wire: PUBACKs, PINGREQs,
 * DISCONNECT. Last, the fleet's staggered start (sim/fleet/fleet.ts) that keeps the simulator's own start
 * from being a thundering herd.
 */
import t, { type Test } from 'tap'
import { once } from 'node:events'
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import Database from 'better-sqlite3'
import { generate, parser as mqttParser, type Packet } from 'mqtt-packet'
import { pino } from 'pino'
import { cli, startGatewayProcess, type GatewayProcess } from './helpers/gateway-process.js'
import { makeCa, makeServerCert } from './helpers/certs.js'
import { until as waitFor } from './helpers/wait.js'
import { createMemoryRing, type Ring } from '../device/ring/index.js'
import { Uplink, type UplinkOptions } from '../device/uplink.js'
import type { UplinkConnect } from '../device/uplink-client.js'
import { encodeStatus, OFFLINE_WILL, type DeviceStatus } from '../shared/codec/status.js'
import { connectLite, LiteClient, MqttRefusal } from '../sim/fleet/lite-client.js'
import { staggerOffsets, startStaggered } from '../sim/fleet/fleet.js'
import { LinkProxy } from '../fakes/link/netem.js'

const until = async (cond: () => boolean | Promise<boolean>, what = 'condition', ms = 15_000): Promise<void> => await waitFor(cond, what, ms, 10)
const log = pino({ level: 'silent' })
const dir = t.testdir()
const anonDir = join(dir, 'anon')
const secureDir = join(dir, 'secure')
let anon: GatewayProcess
let secure: GatewayProcess
let caPem: Buffer
const secrets: Record<string, string> = {}

t.before(async () => {
  const ca = makeCa(dir, 'site-ca')
  caPem = readFileSync(ca.cert)
  const cert = makeServerCert(dir, 'gateway', ca, 30)
  const config = join(dir, 'secure.json')
  writeFileSync(config, JSON.stringify({ mqtt: { tls: { port: 0, cert: cert.cert, key: cert.key } } }))
  for (const id of ['L-SEC-1', 'L-SEC-2']) {
    const r = cli(['devices', 'add', id, '--data', secureDir])
    if (r.status !== 0) throw new Error(r.stderr)
    secrets[id] = r.stdout.trim().split(' ')[1]
  }
  ;[anon, secure] = await Promise.all([
    startGatewayProcess({ dataDir: anonDir, allowAnonymous: true }),
    startGatewayProcess({ dataDir: secureDir, args: ['--config', config] })
  ])
})

t.teardown(async () => { await Promise.all([anon?.stop(), secure?.stop()]) })

/** What the gateway committed for a device: rows and distinct seqs (equal when nothing was stored twice). */
function stored (dataDir: string, device: string): { n: number, d: number } {
  const db = new Database(join(dataDir, 'punchline.db'), { readonly: true, fileMustExist: true })
  try {
    return db.prepare('SELECT count(*) AS n, count(DISTINCT seq) AS d FROM punches WHERE device = ?').get(device) as { n: number, d: number }
  } finally {
    db.close()
  }
}

async function deviceStatus (gw: GatewayProcess, id: string): Promise<DeviceStatus | null | undefined> {
  const list = await (await gw.api('/api/devices')).json() as Array<{ id: string, status: DeviceStatus | null }>
  return list.find(d => d.id === id)?.status
}

function fill (ring: Ring, n: number): void {
  for (let i = 0; i < n; i++) ring.append({ ts: Date.now() - (n - i) * 1000, emp: 'E' + String(i % 300), kind: i % 2 === 0 ? 'in' : 'out', method: 'card', clock: 'synced' })
}

function uplink (t: Test, o: Omit<UplinkOptions, 'log'>): Uplink {
  const up = new Uplink({ log, backoff: { baseMs: 20, capMs: 100 }, ...o })
  t.teardown(() => up.stop())
  return up
}

interface Seen { dir: 'up' | 'down', packet: Packet }

/** A TCP proxy that decodes what passes each way: client → broker is 'up', broker → client 'down'. */
class WireTap {
  readonly seen: Seen[] = []
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  port = 0

  constructor (targetPort: number) {
    this.#server = createServer((client) => {
      const broker = netConnect(targetPort, '127.0.0.1')
      client.setNoDelay(true)
      broker.setNoDelay(true)
      this.#sockets.add(client).add(broker)
      const up = mqttParser({ protocolVersion: 4 })
      const down = mqttParser({ protocolVersion: 4 })
      up.on('packet', (packet: Packet) => this.seen.push({ dir: 'up', packet }))
      down.on('packet', (packet: Packet) => this.seen.push({ dir: 'down', packet }))
      client.on('data', (d: Buffer) => { up.parse(d); broker.write(d) })
      broker.on('data', (d: Buffer) => { down.parse(d); client.write(d) })
      const teardown = (): void => { client.destroy(); broker.destroy() }
      client.on('error', teardown).on('close', teardown)
      broker.on('error', teardown).on('close', teardown)
    })
  }

  async listen (): Promise<string> {
    this.#server.listen(0, '127.0.0.1')
    await once(this.#server, 'listening')
    this.port = (this.#server.address() as { port: number }).port
    return `mqtt://127.0.0.1:${this.port}`
  }

  packets (dir: 'up' | 'down', cmd: Packet['cmd']): Packet[] {
    return this.seen.filter(s => s.dir === dir && s.packet.cmd === cmd).map(s => s.packet)
  }

  async close (): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await new Promise<void>(resolve => this.#server.close(() => resolve()))
  }
}

async function tap (t: Test, port: number): Promise<{ tap: WireTap, url: string }> {
  const w = new WireTap(port)
  const url = await w.listen()
  t.teardown(() => w.close())
  return { tap: w, url }
}

/** Records a raw client's events in order, as `connect`, `error:<code or message>`, `close`. */
function record (c: LiteClient): string[] {
  const events: string[] = []
  c.on('connect', () => events.push('connect'))
  c.on('error', (err: Error) => events.push('error:' + String((err as { code?: unknown }).code ?? err.message)))
  c.on('close', () => events.push('close'))
  return events
}

// ---------------------------------------------------------------------------------------------------------
// The uplink's contract, over both clients: what test/uplink.test.ts asks of MQTT.js, asked of the lite one.

const clients: Array<[string, UplinkConnect | undefined]> = [['MQTT.js', undefined], ['lite', connectLite]]

for (const [name, connect] of clients) {
  const id = (n: number): string => `${name === 'lite' ? 'L' : 'M'}-CON-${n}`

  t.test(`${name}: after an outage the backlog drains newest first, every slot freed by an ack, stored once`, async t => {
    const proxy = new LinkProxy({ host: '127.0.0.1', port: anon.mqttPort })
    const url = `mqtt://127.0.0.1:${await proxy.listen()}`
    t.teardown(() => proxy.close())
    proxy.cut()
    const ring = createMemoryRing({ capacity: 500 })
    fill(ring, 95)
    const up = uplink(t, { url, deviceId: id(1), ring, batchSize: 10, window: 1, connect })
    const ackOrder: number[][] = []
    up.on('acked', (seqs: number[]) => ackOrder.push(seqs.slice().sort((a, b) => a - b)))
    up.start()
    proxy.restore()
    await until(() => ring.stats().pending === 0, 'the backlog to drain')
    t.same(ackOrder[0], [86, 87, 88, 89, 90, 91, 92, 93, 94, 95], 'the newest ten first')
    t.same(ackOrder[ackOrder.length - 1], [1, 2, 3, 4, 5], 'the oldest last')
    t.equal(up.stats.punchesAcked, 95)
    t.same(stored(anonDir, id(1)), { n: 95, d: 95 })
  })

  t.test(`${name}: a link dropped mid-drain: punches in flight are sent again, stored once`, async t => {
    const proxy = new LinkProxy({ host: '127.0.0.1', port: anon.mqttPort })
    const url = `mqtt://127.0.0.1:${await proxy.listen()}`
    t.teardown(() => proxy.close())
    const ring = createMemoryRing({ capacity: 5000 })
    fill(ring, 3000)
    const up = uplink(t, { url, deviceId: id(2), ring, batchSize: 50, window: 4, connect })
    up.start()
    await until(() => ring.stats().pending < 2500, 'the drain to start')
    proxy.cut()
    await until(() => !up.connected, 'the uplink to notice the cut')
    proxy.restore()
    await until(() => ring.stats().pending === 0, 'the rest to drain', 30_000)
    t.ok(up.stats.connects >= 2, 'reconnected')
    t.same(stored(anonDir, id(2)), { n: 3000, d: 3000 })
  })

  t.test(`${name}: status on connect, the time command applied, the offline will on a lost link`, async t => {
    const proxy = new LinkProxy({ host: '127.0.0.1', port: anon.mqttPort })
    const url = `mqtt://127.0.0.1:${await proxy.listen()}`
    t.teardown(() => proxy.close())
    const ring = createMemoryRing({ capacity: 100 })
    fill(ring, 1)
    const up = uplink(t, { url, deviceId: id(3), ring, fw: '9.9.9', connect, mqttOptions: { keepalive: 1 } })
    const times: number[] = []
    up.on('time', (now: number) => times.push(now))
    up.start()
    await until(() => up.connected && ring.stats().pending === 0 && times.length > 0, 'online, drained, time received')
    t.ok(Math.abs(times[0] - Date.now()) < 60_000, 'the gateway sent its time')
    await until(async () => (await deviceStatus(anon, id(3)))?.online === true, 'the online status at the gateway')
    t.equal((await deviceStatus(anon, id(3)))?.fw, '9.9.9')
    // No goodbye: only the broker's will can turn the device offline now.
    proxy.cut()
    await until(async () => (await deviceStatus(anon, id(3)))?.online === false, 'the will at the gateway')
    t.pass('the last will marked the device offline')
  })
}

// ---------------------------------------------------------------------------------------------------------
// The lite client's own promises.

t.test('lite: a QoS 1 command is delivered and PUBACKed with its packet id', async t => {
  const { tap: wire, url } = await tap(t, anon.mqttPort)
  const ring = createMemoryRing({ capacity: 10 })
  const up = uplink(t, { url, deviceId: 'L-CMD-1', ring, connect: connectLite })
  const times: number[] = []
  up.on('time', (now: number) => times.push(now))
  up.start()
  await until(() => times.length > 0, 'the time command')
  const cmd = wire.packets('down', 'publish').find(p => p.cmd === 'publish' && p.topic === 'att/v1/L-CMD-1/cmd')
  t.ok(cmd !== undefined && cmd.cmd === 'publish' && cmd.qos === 1, 'the gateway sent the command at QoS 1')
  const id = (cmd as { messageId: number }).messageId
  await until(() => wire.packets('up', 'puback').some(p => p.messageId === id), 'the PUBACK')
  t.pass(`PUBACK for packet id ${id}`)
})

t.test('lite: keepalive pings hold an idle connection open', async t => {
  const { tap: wire, url } = await tap(t, anon.mqttPort)
  // The broker drops a client silent for 1.5 keepalives [MQTT-3.1.2-24]: only pings can keep this one.
  const c = new LiteClient(url, { clientId: 'L-PING-1', keepalive: 1, protocolVersion: 4 })
  const events = record(c)
  t.teardown(() => { c.end(true) })
  await until(() => c.connected, 'connected')
  await until(() => wire.packets('down', 'pingresp').length >= 3, 'three PINGREQ/PINGRESP rounds')
  t.ok(wire.packets('up', 'pingreq').length >= 3)
  t.equal(c.connected, true, 'still connected after three keepalive periods of silence')
  t.same(events, ['connect'])
})

t.test('lite: a broker that stops answering pings is left: Keepalive timeout, then close', async t => {
  // A broker that accepts the session and then goes deaf (a half-dead NAT mapping).
  const server = createServer((s) => {
    s.once('data', () => s.write(generate({ cmd: 'connack', returnCode: 0, sessionPresent: false })))
    s.on('error', () => {})
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.close() })
  const c = new LiteClient(`mqtt://127.0.0.1:${(server.address() as { port: number }).port}`, { clientId: 'L-DEAF-1', keepalive: 1 })
  const events = record(c)
  t.teardown(() => { c.end(true) })
  await until(() => events.includes('close'), 'close')
  t.same(events, ['connect', 'error:Keepalive timeout', 'close'])
})

t.test('lite: refused credentials surface as error (with the CONNACK code), then one close', async t => {
  const wrong = new LiteClient(secure.mqttUrl, { clientId: 'L-SEC-1', username: 'L-SEC-1', password: 'not-the-secret', keepalive: 30 })
  const wrongEvents = record(wrong)
  const errors: Error[] = []
  wrong.on('error', (err: Error) => errors.push(err))
  await until(() => wrongEvents.includes('close'), 'close after the refusal')
  t.same(wrongEvents, ['error:4', 'close'], 'bad username or password, then close')
  t.type(errors[0], MqttRefusal)
  t.match(errors[0].message, /Bad username or password/)
  const ended = await new Promise<boolean>(resolve => wrong.end(true, {}, () => resolve(true)))
  t.ok(ended, 'end() after close still calls back')
  t.same(wrongEvents, ['error:4', 'close'], 'and emits no second close')

  const none = new LiteClient(secure.mqttUrl, { clientId: 'L-SEC-2', keepalive: 30 })
  const noneEvents = record(none)
  await until(() => noneEvents.includes('close'), 'close after the refusal')
  t.same(noneEvents, ['error:5', 'close'], 'anonymous refused: not authorized')
})

t.test('lite: the uplink with a wrong secret stays offline and keeps trying; with the right one it drains', async t => {
  const refusals = async (): Promise<number> => {
    const text = await (await fetch(secure.httpUrl + '/metrics')).text()
    const line = text.split('\n').find(l => l.startsWith('punchline_connections_refused_total{reason="bad_credentials"} '))
    return line === undefined ? 0 : Number(line.split(' ')[1])
  }
  const before = await refusals()
  const ring = createMemoryRing({ capacity: 100 })
  fill(ring, 20)
  const bad = uplink(t, { url: secure.mqttUrl, deviceId: 'L-SEC-2', secret: 'wrong-secret-123', ring, connect: connectLite })
  let online = 0
  bad.on('online', () => { online++ })
  bad.start()
  await until(async () => await refusals() >= before + 3, 'three refused attempts')
  t.equal(online, 0, 'never online')
  await bad.stop()
  t.equal(ring.stats().pending, 20, 'nothing left the ring')

  const good = uplink(t, { url: secure.mqttUrl, deviceId: 'L-SEC-2', secret: secrets['L-SEC-2'], ring, connect: connectLite })
  good.start()
  await until(() => ring.stats().pending === 0, 'the drain')
  t.same(stored(secureDir, 'L-SEC-2'), { n: 20, d: 20 })
})

t.test('lite: mqtts with the site CA drains; a client that does not trust the certificate errors and closes', async t => {
  const ring = createMemoryRing({ capacity: 100 })
  fill(ring, 30)
  let socket: TLSSocket | undefined
  const connect: UplinkConnect = (url, opts) => {
    const c = connectLite(url, opts)
    socket = c.stream as TLSSocket
    return c
  }
  const up = uplink(t, { url: secure.mqttsUrl, deviceId: 'L-SEC-1', secret: secrets['L-SEC-1'], ring, connect, mqttOptions: { ca: [caPem] } })
  up.start()
  await until(() => ring.stats().pending === 0, 'the drain over TLS')
  t.equal(socket?.encrypted, true, 'the connection is TLS')
  t.same(stored(secureDir, 'L-SEC-1'), { n: 30, d: 30 })

  const stranger = new LiteClient(secure.mqttsUrl, { clientId: 'L-SEC-1', username: 'L-SEC-1', password: secrets['L-SEC-1'] })
  const events = record(stranger)
  await until(() => events.includes('close'), 'close')
  t.equal(events.length, 2)
  t.match(events[0], /^error:(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/, 'the certificate is refused')
  t.equal(events[1], 'close')
})

t.test('lite: end(force) drops the socket without DISCONNECT, fails what waits, and the broker sends the will', async t => {
  const { tap: wire, url } = await tap(t, anon.mqttPort)
  const status = 'att/v1/L-END-1/status'
  const c = new LiteClient(url, { clientId: 'L-END-1', keepalive: 30, will: { topic: status, payload: Buffer.from(encodeStatus(OFFLINE_WILL)), qos: 1, retain: true } })
  const events = record(c)
  await until(() => c.connected, 'connected')
  const online = await new Promise<Error | undefined>(resolve => c.publish(status, encodeStatus({ v: 1, online: true }), { qos: 1, retain: true }, resolve))
  t.equal(online, undefined, 'PUBACKed')
  await until(async () => (await deviceStatus(anon, 'L-END-1'))?.online === true, 'online at the gateway')

  // A publish the broker has not acknowledged yet when the socket goes: its callback must not hang. Not on
  // the status topic: the gateway may apply a status published just before the drop after the will.
  const late = new Promise<Error | undefined>(resolve => c.publish('att/v1/L-END-1/punches', '{}', { qos: 1 }, resolve))
  const ended = new Promise<void>(resolve => c.end(true, {}, resolve))
  await ended
  t.equal(c.connected, false)
  t.match((await late)?.message, /connection closed/, 'the publish in flight fails')
  t.same(events, ['connect', 'close'])
  t.equal(wire.packets('up', 'disconnect').length, 0, 'no DISCONNECT on the wire')
  await until(async () => (await deviceStatus(anon, 'L-END-1'))?.online === false, 'the will at the gateway')

  const after = await new Promise<Error | undefined>(resolve => c.publish(status, 'x', { qos: 1 }, resolve))
  t.match(after?.message, /not connected/, 'no queue after the end: publish fails at once')
  const sub = await new Promise<Error | null>(resolve => c.subscribe(['att/v1/L-END-1/cmd'], { qos: 1 }, resolve))
  t.match(sub?.message, /not connected/)
})

t.test('lite: end() without force waits for the PUBACK of what is in flight, then says DISCONNECT', async t => {
  const { tap: wire, url } = await tap(t, anon.mqttPort)
  const c = new LiteClient(url, { clientId: 'L-END-2', keepalive: 30 })
  const events = record(c)
  await until(() => c.connected, 'connected')
  const order: string[] = []
  c.publish('att/v1/L-END-2/status', encodeStatus({ v: 1, online: true }), { qos: 1, retain: true }, (err) => order.push('puback:' + String(err?.message ?? 'ok')))
  c.end(false, {}, () => order.push('ended'))
  await until(() => order.includes('ended'), 'the end callback')
  t.same(order, ['puback:ok', 'ended'])
  t.same(events, ['connect', 'close'])
  const seq = wire.seen.map(s => `${s.dir}:${s.packet.cmd}`)
  const puback = seq.indexOf('down:puback')
  const disconnect = seq.indexOf('up:disconnect')
  t.ok(puback >= 0 && disconnect > puback, `DISCONNECT after the PUBACK (${seq.join(' ')})`)
})

t.test('lite: a client that cannot reach the broker errors and closes once', async t => {
  // A port nobody listens on: bind one, note it, close it.
  const s = createServer().listen(0, '127.0.0.1')
  await once(s, 'listening')
  const port = (s.address() as { port: number }).port
  await new Promise<void>(resolve => s.close(() => resolve()))
  const c = new LiteClient(`mqtt://127.0.0.1:${port}`, { clientId: 'L-NONE-1' })
  const events = record(c)
  await until(() => events.includes('close'), 'close')
  t.same(events, ['error:ECONNREFUSED', 'close'])
  t.throws(() => new LiteClient('ws://127.0.0.1:1', { clientId: 'x' }), /ws:\/\/ is not supported/)
  t.throws(() => new LiteClient('mqtt://127.0.0.1:1', { clientId: 'x', protocolVersion: 5 }), /protocolVersion must be 4/)
})

// ---------------------------------------------------------------------------------------------------------
// Staggered starts (sim/fleet/fleet.ts).

t.test('fleet: start offsets spread over the window, one per slot; a zero window is a herd', async t => {
  t.same(staggerOffsets(4, 1000, () => 0.5), [125, 375, 625, 875])
  t.same(staggerOffsets(3, 0), [0, 0, 0])
  t.same(staggerOffsets(0, 1000), [])
  const random = staggerOffsets(1000, 10_000)
  t.ok(random.every((o, i) => o >= i * 10 && o < (i + 1) * 10), 'each start within its own slot')
  t.throws(() => staggerOffsets(-1, 10), /fleet size/)
  t.throws(() => staggerOffsets(3, -5), /stagger window/)
})

t.test('fleet: at most maxPending members connect at once; settling one starts the next', async t => {
  const started: number[] = []
  const members = [0, 1, 2, 3, 4].map(i => ({ start: () => { started.push(i) } }))
  const s = startStaggered(members, { windowMs: 0, maxPending: 2, settleTimeoutMs: 600_000 })
  t.same(started, [0, 1], 'two places, two starts')
  s.settled(0)
  t.same(started, [0, 1, 2])
  s.settled(0)
  t.same(started, [0, 1, 2], 'settling twice frees one place only')
  s.settled(4)
  t.same(started, [0, 1, 2], 'a member not started yet frees nothing')
  s.settled(1)
  s.settled(2)
  await s.done
  t.same(started, [0, 1, 2, 3, 4])
  t.equal(s.started, 5)
  t.throws(() => startStaggered(members, { windowMs: 0, maxPending: 0 }), /maxPending/)
})

t.test('fleet: a member that never settles gives its place up after settleTimeoutMs', async t => {
  const started: number[] = []
  const members = [0, 1, 2].map(i => ({ start: () => { started.push(i) } }))
  const s = startStaggered(members, { windowMs: 0, maxPending: 1, settleTimeoutMs: 20 })
  t.same(started, [0])
  await s.done
  t.same(started, [0, 1, 2], 'started one after another, none settled')
})

t.test('fleet: cancel leaves the rest unstarted; a window delays starts', async t => {
  const started: number[] = []
  const members = [0, 1, 2, 3].map(i => ({ start: () => { started.push(i) } }))
  const s = startStaggered(members, { windowMs: 600_000, random: () => 0 })
  t.same(started, [0], 'the first slot starts at once, the others are minutes away')
  s.cancel()
  await s.done
  t.equal(s.started, 1)
  t.same(started, [0])
})
