/**
 * The aedes hooks of the gateway's broker, in the order a publish meets them: authenticate the device,
 * authorize the topic (ACL), hand a punch batch to ingest before the PUBACK (authorizePublish is the only
 * hook before it: docs/DESIGN-NOTES.md, "aedes writes the PUBACK before `published`"), then `published` for
 * what needs no PUBACK gating (status).
 */
import type { AedesPublishPacket, Client, ConnectPacket, PublishPacket, Subscription } from 'aedes'
import { generate } from 'mqtt-packet'
import type { Topics } from '../../shared/topics.js'
import type { Logger } from '../../shared/log.js'
import type { GatewayMetrics } from '../metrics.js'
import type { DeviceStore } from '../store/device-store.js'
import { clientIdForLog, createAuthenticate } from './auth.js'
import { mayPublish, maySubscribe, ownTopic } from './acl.js'
import type { BrokerOptions } from './broker.js'
import { LogLimiter } from '../log-limiter.js'
import { TurnWrites } from './turn-writes.js'

export interface HookParts {
  topics: Topics
  devices: DeviceStore
  allowAnonymous: boolean
  metrics: GatewayMetrics
  log: Logger
  /** a publish on the device's own punches topic; `done` releases the PUBACK */
  punches: (device: string, payload: Buffer, done: (err?: Error | null) => void) => void
  /** a publish on the device's own status topic, after the PUBACK */
  status: (device: string, payload: Buffer) => void
}

// docs/PROTOCOL.md ("MQTT") speaks MQTT 3.1.1 (protocol level 4). aedes also accepts 3.1 (level 3), whose
// client ids it limits differently, and answers other levels itself without counting them.
const PROTOCOL_LEVEL = 4
// [MQTT-3.2.2.3] CONNACK return code 1; aedes's preConnect refusal closes without a CONNACK, so it is sent here.
const UNACCEPTABLE_PROTOCOL_VERSION = generate({ cmd: 'connack', returnCode: 1, sessionPresent: false })
const IDENTIFIER_REJECTED = generate({ cmd: 'connack', returnCode: 2, sessionPresent: false })

export function brokerHooks (p: HookParts): BrokerOptions['hooks'] {
  const { topics, metrics, log } = p
  // A client can repeat a refused subscription as fast as it likes: one line per client and kind per window.
  const refusals = new LogLimiter({ log, suppressed: (kind) => metrics.logSuppressed.inc({ kind }) })
  const turnWrites = new TurnWrites()
  return {
    preConnect (client: Client, packet: ConnectPacket, done: (err: Error | null, ok: boolean) => void) {
      const refuse = (connack: Buffer, reason: string, message: string): void => {
        metrics.refusedConnections.inc({ reason })
        log.warn({ client: clientIdForLog(packet.clientId ?? ''), protocolVersion: packet.protocolVersion, reason }, 'connection refused: ' + message)
        client.conn.write(connack, () => done(new Error(message), false))
      }
      if (packet.protocolVersion !== PROTOCOL_LEVEL) return refuse(UNACCEPTABLE_PROTOCOL_VERSION, 'protocol_version', 'MQTT 3.1.1 (protocol level 4) only')
      // [MQTT-3.1.3-6] lets a broker name a clean session that sent no id, and aedes does ('aedes_' + a
      // uuid); here the client id is the device's name, so a broker-made one would admit any client as a
      // new device under --allow-anonymous.
      if (packet.clientId === undefined || packet.clientId === '') return refuse(IDENTIFIER_REJECTED, 'bad_client_id', 'an empty client id names no device')
      done(null, true)
    },
    authenticate: createAuthenticate({ devices: p.devices, allowAnonymous: p.allowAnonymous, metrics, log }),
    authorizePublish (client: Client | null, packet: PublishPacket, cb: (err?: Error | null) => void) {
      if (client === null) {
        // A last will, published by the broker for a client that went away; only status wills exist.
        if (topics.parse(packet.topic)?.channel !== 'status') return cb(new Error('will not allowed'))
        packet.retain = false
        return cb(null)
      }
      const own = ownTopic(topics, client, packet.topic)
      if (!mayPublish(own)) {
        metrics.deniedTopics.inc({ action: 'publish' })
        refusals.write('warn', { kind: 'acl-publish', device: client.id }, { client: client.id, topic: packet.topic }, 'publish refused by ACL')
        return cb(new Error('not authorized to publish on ' + packet.topic))
      }
      if (own!.channel === 'punches') {
        // The commit's answer releases the PUBACK and then publishes the ack: one write for both.
        return p.punches(own!.device, packet.payload as Buffer, (err) => {
          turnWrites.hold(client.conn)
          cb(err)
        })
      }
      // Devices publish their status retained (docs/PROTOCOL.md, "Status (retained)"), but no client may
      // subscribe to a status topic (acl.ts): a retained copy in the broker would reach nobody, and aedes
      // matches every retained message against every new subscription, so each reconnect costs a match per
      // device and a site-wide reconnect the square of the fleet (bench/fleet-scale.ts reproduces it at
      // 10,000 devices). SQLite keeps the status.
      // Wills take the same way (aedes authorizes them with the client that left).
      packet.retain = false
      cb(null)
    },
    authorizeSubscribe (client: Client, sub: Subscription, cb: (err: Error | null, sub?: Subscription | null) => void) {
      if (maySubscribe(topics, client, sub)) return cb(null, sub)
      metrics.deniedTopics.inc({ action: 'subscribe' })
      refusals.write('warn', { kind: 'acl-subscribe', device: client.id }, { client: client.id, topic: sub.topic }, 'subscription refused by ACL')
      cb(null, null)
    },
    published (packet: AedesPublishPacket, client: Client | null, cb: (err?: Error | null) => void) {
      if (client != null) {
        const own = ownTopic(topics, client, packet.topic)
        if (own?.channel === 'status') p.status(own.device, packet.payload as Buffer)
      }
      cb(null)
    }
  }
}
