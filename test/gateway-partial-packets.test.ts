/**
 * Memory held for packets not yet whole (gateway/broker/packet-guard.ts): before its CONNECT is accepted a
 * connection may announce only `mqtt.maxConnectBytes`, and the bytes of unfinished packets across all
 * connections stay within `mqtt.maxPartialBytes`. Both on a real gateway process and real sockets: the
 * connections that break a bound are closed and counted, the gateway's memory stays bounded, and a device
 * that connects properly keeps getting its punches acked meanwhile.
 */
import t from 'tap'
import { connect as netConnect, type Socket } from 'node:net'
import { generate } from 'mqtt-packet'
import { startGatewayProcess, type GatewayProcess } from './helpers/gateway-process.js'
import { writeGatewayConfig } from '../faults/gateway-process.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'
import type { BatchAck } from '../shared/codec/ack.js'

const MIB = 1024 * 1024
const ATTACKERS = 200
const PARTIAL_BUDGET = 16 * MIB

/** A metric's value, or undefined when the gateway has no such line (a labelled counter never counted). */
async function metricValue (gw: GatewayProcess, name: string, label = ''): Promise<number | undefined> {
  const text = await (await fetch(`${gw.httpUrl}/metrics`)).text()
  const line = text.split('\n').find(l => l.startsWith(name + (label === '' ? ' ' : `{${label}}`)))
  return line === undefined ? undefined : Number(line.split(' ').pop())
}

async function metric (gw: GatewayProcess, name: string, label = ''): Promise<number> {
  return await metricValue(gw, name, label) ?? 0
}

/**
 * The gateway's RSS from its metrics (prom-client's default metric under the gateway's prefix). Read
 * strictly: an absent line reads 0 in `metric`, which made an earlier check here compare 0 with 0.
 */
async function rss (gw: GatewayProcess): Promise<number> {
  const name = 'punchline_process_process_resident_memory_bytes'
  const value = await metricValue(gw, name)
  if (value === undefined) throw new Error(`no ${name} in the gateway's metrics`)
  return value
}

/** MQTT's variable-length "remaining length" [MQTT-2.2.3]. */
function remainingLength (n: number): Buffer {
  const out: number[] = []
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    out.push(byte)
  } while (n > 0)
  return Buffer.from(out)
}

interface Attacker { socket: Socket, closed: boolean }

async function open (port: number): Promise<Attacker> {
  const socket = netConnect(port, '127.0.0.1')
  const a: Attacker = { socket, closed: false }
  socket.on('error', () => {})
  socket.on('close', () => { a.closed = true })
  socket.resume()
  await new Promise(resolve => socket.once('connect', resolve))
  return a
}

/** Sends `body` bytes of a packet of type `type` whose header announces `announced` bytes. */
function sendPartial (a: Attacker, type: number, announced: number, body: number): void {
  a.socket.write(Buffer.concat([Buffer.from([type]), remainingLength(announced)]))
  a.socket.write(Buffer.alloc(body, 0x41))
}

t.test('partial packets before CONNECT: each connection is closed at the header, counted, memory stays bounded', async t => {
  const gw = await startGatewayProcess({ dataDir: t.testdir(), allowAnonymous: true })
  t.teardown(async () => await gw.stop())
  const rssBefore = await rss(gw)

  const device = await connectDevice(gw.mqttUrl, 'T-GOOD')
  t.teardown(() => device.close())

  // A CONNECT announcing nearly 2 MiB (within mqtt.maxPacketBytes), and 1 MiB of it sent.
  const attackers = await Promise.all(Array.from({ length: ATTACKERS }, async () => await open(gw.mqttPort)))
  for (const a of attackers) sendPartial(a, 0x10, 2 * MIB - 16, MIB)
  await device.publish(batch('during-1', [1, 2, 3]))
  t.same(((await device.ackFor('during-1')) as BatchAck).ok, [[1, 3]], 'a proper device is acked during the attack')

  // aedes itself drops a connection without CONNECT only after 15 s.
  await until(() => attackers.every(a => a.closed), () => `every attacker closed (${attackers.filter(a => a.closed).length} of ${ATTACKERS})`, 8000)
  t.equal(await metric(gw, 'punchline_connections_refused_total', 'reason="connect_too_large"'), ATTACKERS, 'each counted once')
  const rssAfter = await rss(gw)
  t.ok(rssAfter - rssBefore < 100 * MIB, `RSS grew ${Math.round((rssAfter - rssBefore) / MIB)} MiB for ${ATTACKERS} MiB sent`)
  await device.publish(batch('after-1', [4]))
  t.same(((await device.ackFor('after-1')) as BatchAck).ok, [[4, 4]], 'and after it')
})

t.test('partial packets after CONNECT: the total across connections is bounded; past it connections are closed and counted', async t => {
  const dir = t.testdir()
  const config = writeGatewayConfig(dir, { mqtt: { maxPartialBytes: PARTIAL_BUDGET } })
  const gw = await startGatewayProcess({ dataDir: dir, allowAnonymous: true, args: ['--config', config] })
  t.teardown(async () => await gw.stop())

  const device = await connectDevice(gw.mqttUrl, 'T-GOOD')
  t.teardown(() => device.close())

  const holders = 40
  const attackers: Attacker[] = []
  for (let i = 0; i < holders; i++) {
    const a = await open(gw.mqttPort)
    const connack = new Promise(resolve => a.socket.once('data', resolve))
    a.socket.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: `A-${i}`, clean: true, keepalive: 60 }))
    await connack
    attackers.push(a)
  }
  // Each connected (anonymous): a publish announcing nearly 2 MiB with 1 MiB of it sent.
  for (const a of attackers) sendPartial(a, 0x32, 2 * MIB - 16, MIB)
  await device.publish(batch('during-1', [1, 2, 3]))
  t.same(((await device.ackFor('during-1')) as BatchAck).ok, [[1, 3]], 'a proper device is acked during the attack')

  const budgetRefused = async (): Promise<number> => await metric(gw, 'punchline_connections_refused_total', 'reason="partial_bytes_budget"')
  const mostHeld = Math.floor(PARTIAL_BUDGET / MIB)
  await until(async () => await budgetRefused() >= holders - mostHeld, 'connections past the budget refused', 8000)
  await until(() => attackers.filter(a => a.closed).length >= holders - mostHeld, 'and closed', 8000)
  t.ok(attackers.filter(a => !a.closed).length <= mostHeld, `at most ${mostHeld} connections still hold a partial packet`)

  // Closing the holders gives their share back: a device's batch of some size goes through again.
  for (const a of attackers) a.socket.destroy()
  await until(() => attackers.every(a => a.closed), 'attackers gone')
  await new Promise(resolve => setTimeout(resolve, 200))
  const big = batch('after-1', Array.from({ length: 400 }, (_, i) => 10 + i))
  await device.publish(big)
  t.same(((await device.ackFor('after-1')) as BatchAck).ok, [[10, 409]], 'acked once the budget is free')
})
