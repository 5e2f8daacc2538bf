/**
 * The bound on connections being set up (gateway/broker/admission.ts, `mqtt.maxConnecting`), on a real
 * gateway process and real sockets: connections that sent no CONNECT fill it; past it each new connection
 * is answered at once with CONNACK 3 (server unavailable), closed and counted; a device (the real uplink
 * over MQTT.js) refused so backs off and tries again; once the holders go it is admitted and every punch it
 * had acked is stored. A device connected before the flood keeps getting its batches acked throughout.
 */
import t from 'tap'
import { join } from 'node:path'
import { connect as netConnect, type Socket } from 'node:net'
import Database from 'better-sqlite3'
import { pino } from 'pino'
import { startGatewayProcess, writeGatewayConfig, type GatewayProcess } from './helpers/gateway-process.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'
import { createMemoryRing } from '../device/ring/index.js'
import { Uplink } from '../device/uplink.js'
import { SERVER_UNAVAILABLE_CONNACK } from '../gateway/broker/admission.js'
import type { BatchAck } from '../shared/codec/ack.js'

const MAX_CONNECTING = 5
const EXTRA = 12

async function metric (gw: GatewayProcess, name: string, label = ''): Promise<number> {
  const text = await (await fetch(`${gw.httpUrl}/metrics`)).text()
  const line = text.split('\n').find(l => l.startsWith(name + (label === '' ? ' ' : `{${label}}`)))
  return line === undefined ? 0 : Number(line.split(' ').pop())
}

interface Raw { socket: Socket, received: Buffer, closed: Promise<void> }

async function open (port: number): Promise<Raw> {
  const socket = netConnect(port, '127.0.0.1')
  const raw: Raw = { socket, received: Buffer.alloc(0), closed: new Promise(resolve => socket.once('close', () => resolve())) }
  socket.on('error', () => {})
  socket.on('data', (d: Buffer) => { raw.received = Buffer.concat([raw.received, d]) })
  await new Promise(resolve => socket.once('connect', resolve))
  return raw
}

t.test('past mqtt.maxConnecting a connection gets CONNACK 3 at once, is counted, and the device comes in once the others go', async t => {
  const dir = t.testdir()
  const config = writeGatewayConfig(dir, { mqtt: { maxConnecting: MAX_CONNECTING } })
  const gw = await startGatewayProcess({ dataDir: join(dir, 'gw'), allowAnonymous: true, args: ['--config', config] })
  t.teardown(async () => await gw.stop())
  const connecting = async (): Promise<number> => await metric(gw, 'punchline_mqtt_connecting')
  const refused = async (): Promise<number> => await metric(gw, 'punchline_connections_refused_total', 'reason="connecting_limit"')

  const early = await connectDevice(gw.mqttUrl, 'T-EARLY')
  t.teardown(() => early.close())
  t.equal(await connecting(), 0, 'a connection set up no longer counts')

  // Connections that say nothing: each is being set up until aedes's connect timeout.
  const holders: Raw[] = []
  for (let i = 0; i < MAX_CONNECTING; i++) holders.push(await open(gw.mqttPort))
  t.teardown(() => { for (const h of holders) h.socket.destroy() })
  await until(async () => await connecting() === MAX_CONNECTING, 'the holders accepted')

  // Each further connection sends its CONNECT and is answered with CONNACK 3, then closed by the gateway.
  for (let i = 0; i < EXTRA; i++) {
    const extra = await open(gw.mqttPort)
    extra.socket.write(Buffer.from([0x10, 0x00]))
    await extra.closed
    t.same(extra.received, SERVER_UNAVAILABLE_CONNACK, `connection ${i + 1} past the bound: CONNACK 3 and closed`)
  }
  t.equal(await refused(), EXTRA, 'every refusal counted')
  t.equal(await connecting(), MAX_CONNECTING, 'the bound held')
  await early.publish(batch('during-1', [1, 2, 3]))
  t.same(((await early.ackFor('during-1')) as BatchAck).ok, [[1, 3]], 'a device connected before is acked meanwhile')

  // The device's real uplink: refused while the bound is full, it backs off and tries again.
  const ring = createMemoryRing({ capacity: 1000 })
  ring.appendMany(Array.from({ length: 250 }, (_, i) => ({ ts: Date.now() - (250 - i) * 60_000, emp: `E${1000 + i}`, kind: i % 2 === 0 ? 'in' as const : 'out' as const, method: 'card' as const, clock: 'synced' as const })))
  const uplink = new Uplink({ url: gw.mqttUrl, deviceId: 'T-LATE', ring, log: pino({ level: 'silent' }), backoff: { baseMs: 50, capMs: 200 }, timeWaitMs: 0 })
  t.teardown(async () => await uplink.stop())
  uplink.start()
  await until(async () => await refused() >= EXTRA + 2, 'the uplink refused, and refused again after its backoff')

  for (const h of holders) h.socket.destroy()
  await until(() => ring.stats().pending === 0, () => `the uplink drained its ring (${ring.stats().pending} pending)`, 20_000)
  t.equal(uplink.stats.punchesAcked, 250, 'every punch acked once admitted')
  await uplink.stop()

  await gw.stop()
  const db = new Database(join(dir, 'gw', 'punchline.db'), { readonly: true })
  t.teardown(() => db.close())
  const stored = db.prepare('SELECT count(*) AS n FROM punches WHERE device = ?')
  t.equal((stored.get('T-LATE') as { n: number }).n, 250, 'every punch acked is stored')
  t.equal((stored.get('T-EARLY') as { n: number }).n, 3, 'and the early device\'s')
})

t.test('mqtt.acceptsPerTurn: copies of the listening socket take connections; a stop closes them all', async t => {
  const dir = t.testdir()
  const config = writeGatewayConfig(dir, { mqtt: { acceptsPerTurn: 4 } })
  const gw = await startGatewayProcess({ dataDir: join(dir, 'gw'), allowAnonymous: true, args: ['--config', config] })
  t.teardown(async () => await gw.stop())
  t.equal(gw.logs.find(l => l.msg === 'gateway ready')?.acceptsPerTurn, 4, 'the ready line says how many a turn accepts')

  // Opened at once, so the kernel hands them to whichever copy epoll reports: each must reach the broker.
  const devices = await Promise.all(Array.from({ length: 30 }, async (_, i) => await connectDevice(gw.mqttUrl, `T-${i}`)))
  await Promise.all(devices.map(async (d, i) => await d.publish(batch(`b-${i}`, [1, 2]))))
  for (const [i, d] of devices.entries()) t.same(((await d.ackFor(`b-${i}`)) as BatchAck).ok, [[1, 2]], `device ${i} acked`)
  for (const d of devices) await d.close()

  await gw.stop()
  const refused = await new Promise<string>(resolve => {
    const s = netConnect(gw.mqttPort, '127.0.0.1')
    s.once('connect', () => { s.destroy(); resolve('connected') })
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
  })
  t.equal(refused, 'ECONNREFUSED', 'after the stop no copy listens')
})
