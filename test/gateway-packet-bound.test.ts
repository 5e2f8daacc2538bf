/**
 * The broker's packet-size bound on real connections (gateway/broker/guarded-connection.ts): a packet whose
 * header announces more than `mqtt.maxPacketBytes` drops its connection before its body reaches ingest,
 * counted once, whether the header comes whole, split over writes or malformed; devices within the bound
 * go on as before.
 */
import t from 'tap'
import { connect as netConnect, type Socket } from 'node:net'
import mqtt from 'mqtt'
import { generate } from 'mqtt-packet'
import { pino } from 'pino'
import { defaultConfig } from '../gateway/config.js'
import { Gateway } from '../gateway/gateway.js'
import { until } from './helpers/wait.js'

const BOUND = 1000

t.test('oversized packets drop their connection and are counted; the rest goes on', async t => {
  const cfg = defaultConfig()
  cfg.dataDir = t.testdir()
  cfg.mqtt = { ...cfg.mqtt, host: '127.0.0.1', port: 0, maxPacketBytes: BOUND }
  cfg.http = { ...cfg.http, host: '127.0.0.1', port: 0 }
  cfg.allowAnonymous = true
  const gw = new Gateway(cfg, { log: pino({ level: 'silent' }) })
  const { mqttPort } = await gw.start()
  t.teardown(async () => await gw.stop())
  const refused = async (): Promise<number> => {
    const line = (await gw.metrics.registry.metrics()).split('\n').find(l => l.includes('reason="packet_too_large"'))
    return line === undefined ? 0 : Number(line.split(' ').pop())
  }
  const url = `mqtt://127.0.0.1:${mqttPort}`

  // Within the bound: connect, subscribe, get the time command.
  const ok = mqtt.connect(url, { clientId: 'OK-1', protocolVersion: 4, reconnectPeriod: 0 })
  t.teardown(() => ok.end(true))
  const first = await new Promise<string>((resolve, reject) => {
    ok.on('error', reject)
    ok.on('connect', () => ok.subscribe(['att/v1/OK-1/cmd', 'att/v1/OK-1/acks'], { qos: 1 }))
    ok.once('message', (topic) => resolve(topic))
  })
  t.equal(first, 'att/v1/OK-1/cmd', 'a device within the bound gets its time command')

  // A publish over the bound from MQTT.js: the connection goes, nothing is stored.
  const big = mqtt.connect(url, { clientId: 'BIG-1', protocolVersion: 4, reconnectPeriod: 0 })
  await new Promise<void>((resolve, reject) => { big.once('connect', () => resolve()); big.once('error', reject) })
  let closed = false
  big.once('close', () => { closed = true })
  big.publish('att/v1/BIG-1/punches', Buffer.alloc(5 * BOUND, 0x20), { qos: 1 })
  await until(() => closed, 'the oversized publisher dropped')
  big.end(true)
  await until(async () => await refused() === 1, 'one refusal counted')

  // A raw header announcing 2 MB, split over writes, then its body: dropped at the header.
  const raw = await open(mqttPort)
  // The CONNACK first: until then packets are held to mqtt.maxConnectBytes (test/gateway-partial-packets.test.ts).
  const connack = new Promise(resolve => raw.once('data', resolve))
  raw.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'RAW-1', clean: true, keepalive: 30 }))
  await connack
  raw.write(Buffer.from([0x30, 0xff]))
  await new Promise(resolve => setTimeout(resolve, 50))
  raw.write(Buffer.from([0xff, 0x7f]))
  raw.write(Buffer.alloc(3000, 7))
  await until(() => raw.destroyed || raw.readableEnded, 'the raw connection closed')
  await until(async () => await refused() === 2, 'counted once more')

  // A malformed remaining length (five continuation bytes).
  const bad = await open(mqttPort)
  bad.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f]))
  await until(() => bad.destroyed || bad.readableEnded, 'the malformed connection closed')
  await until(async () => await refused() === 3, 'counted once more')

  t.ok(ok.connected, 'the device within the bound is still connected')
})

async function open (port: number): Promise<Socket> {
  const s = netConnect(port, '127.0.0.1')
  s.on('error', () => {})
  s.resume()
  await new Promise(resolve => s.once('connect', resolve))
  return s
}
