/**
 * The baseline broker for the pass-through figures, run as a child process like the gateway: the gateway's
 * own broker module (gateway/broker/broker.ts: the same aedes, the same options, TCP_NODELAY and the
 * packet-size guard on every connection) with none of the gateway's hooks, so no decode, no rules, no
 * storage. Prints {"port": N} when listening; SIGTERM closes it.
 *
 *   node dist/bench/aedes-child.js [--ack]
 *
 * --ack: after each punch batch's PUBACK (aedes's `published` hook runs after it), publish a
 * fixed ack of the gateway's shape to the device's acks topic with QoS 1, as the gateway does after its
 * commit: the same messages on the wire in both directions as against the gateway, minus the work.
 */
import type { AedesPublishPacket, Client, PublishPacket } from 'aedes'
import { startBroker, type BrokerHandle } from '../gateway/broker/broker.js'
import { defaultConfig } from '../gateway/config.js'
import { encodeAck } from '../shared/codec/ack.js'

const withAck = process.argv.includes('--ack')
const ACK = Buffer.from(encodeAck({ v: 1, id: 'b0', epoch: 'bbbbbbbb', ok: [[1, 100]], rejected: [] }))
let handle: BrokerHandle | undefined

const published = (packet: AedesPublishPacket, client: Client | null, cb: (err?: Error | null) => void): void => {
  cb(null)
  if (client === null || handle === undefined || !packet.topic.endsWith('/punches')) return
  handle.broker.publish({
    cmd: 'publish', topic: packet.topic.slice(0, -'punches'.length) + 'acks', payload: ACK, qos: 1, retain: false, dup: false
  } as PublishPacket, () => {})
}

handle = await startBroker({
  ...defaultConfig().mqtt,
  host: '127.0.0.1',
  port: 0,
  tls: undefined,
  hooks: withAck ? { published } : {},
  onRefused: ({ message }) => process.stderr.write(`aedes-child: ${message}\n`),
  onConnectingFull: () => process.stderr.write('aedes-child: connection refused, mqtt.maxConnecting reached\n')
})
process.stdout.write(JSON.stringify({ port: handle.port }) + '\n')
process.once('SIGTERM', () => { void handle!.close().then(() => process.exit(0)) })
