/**
 * A committed batch's PUBACK and its ack message leave the gateway in one write (gateway/broker/turn-writes.ts),
 * so a device wakes and reads once per batch, not twice. On a real gateway process and a raw TCP socket:
 * each chunk the socket delivers is parsed on its own, and the chunk with the PUBACK also holds the ack.
 * One write on loopback arrives in one chunk; two writes arrive as two whenever the reader keeps up, as
 * this one, doing nothing else, does.
 */
import t from 'tap'
import { connect as netConnect } from 'node:net'
import { generate, parser as mqttParser, type Packet } from 'mqtt-packet'
import { startGatewayProcess } from './helpers/gateway-process.js'
import { batch } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'

const DEVICE = 'T-ONEWRITE'
const BATCHES = 20

t.test('each batch\'s PUBACK and ack arrive in the same chunk, in that order', async t => {
  const gw = await startGatewayProcess({ dataDir: t.testdir(), allowAnonymous: true })
  t.teardown(async () => await gw.stop())
  const socket = netConnect(gw.mqttPort, '127.0.0.1')
  t.teardown(() => socket.destroy())
  socket.on('error', () => {})
  /** the packets of each chunk read, parsed chunk by chunk */
  const chunks: Packet[][] = []
  socket.on('data', (chunk: Buffer) => {
    const packets: Packet[] = []
    const p = mqttParser({ protocolVersion: 4 })
    p.on('packet', (packet: Packet) => packets.push(packet))
    p.parse(chunk)
    chunks.push(packets)
  })
  await new Promise(resolve => socket.once('connect', resolve))
  const all = (): Packet[] => chunks.flat()
  socket.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: DEVICE, clean: true, keepalive: 60 }))
  socket.write(generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `att/v1/${DEVICE}/acks`, qos: 1 }] }))
  await until(() => all().some(p => p.cmd === 'suback'), () => 'subscribed', 10_000)

  for (let i = 1; i <= BATCHES; i++) {
    const seen = chunks.length
    socket.write(generate({ cmd: 'publish', topic: `att/v1/${DEVICE}/punches`, qos: 1, messageId: 100 + i, retain: false, dup: false, payload: Buffer.from(JSON.stringify(batch(`b${i}`, [i]))) }))
    await until(() => all().some(p => p.cmd === 'publish' && JSON.parse(String(p.payload)).id === `b${i}`), () => `the ack of batch ${i}`, 10_000)
    const chunk = chunks.slice(seen).find(c => c.some(p => p.cmd === 'puback' && p.messageId === 100 + i))
    t.ok(chunk !== undefined, `batch ${i}: PUBACK arrived`)
    const cmds = chunk!.map(p => p.cmd === 'publish' ? `publish ${JSON.parse(String(p.payload)).id as string}` : p.cmd)
    t.same(cmds, ['puback', `publish b${i}`], `batch ${i}: its PUBACK and its ack in one chunk`)
    // The device's PUBACK of the ack (QoS 1), as a device sends it.
    const ack = chunk!.find(p => p.cmd === 'publish')!
    socket.write(generate({ cmd: 'puback', messageId: ack.messageId! }))
  }
})
