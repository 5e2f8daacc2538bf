/**
 * The embedded MQTT broker (broker/broker.ts), and the intake: its listeners and the rows queued for the
 * next group commit, which a stop closes and settles before the forwarder and the broker stop.
 */
import type { Socket } from 'node:net'
import { tlsEnabled } from '../config.js'
import { startBroker } from '../broker/broker.js'
import { brokerHooks } from '../broker/hooks.js'
import type { ConnectionSocket } from '../broker/connection-socket.js'
import { part, type LifeContext } from './context.js'
import type { LifeStep } from './step.js'
import { LogLimiter } from '../log-limiter.js'

export const broker: LifeStep = {
  name: 'broker',
  async start (life) {
    const { config, log, metrics } = life
    const ingest = part(life, 'ingest')
    const sessions = part(life, 'sessions')
    // Refusals come as fast as a reconnecting fleet retries: one line per window, every one counted.
    const busy = new LogLimiter({ log, suppressed: (kind) => metrics.logSuppressed.inc({ kind }) })
    const handle = life.broker = await startBroker({
      host: config.mqtt.host,
      plain: config.mqtt.plain,
      port: config.mqtt.port,
      maxPacketBytes: config.mqtt.maxPacketBytes,
      maxConnectBytes: config.mqtt.maxConnectBytes,
      maxPartialBytes: config.mqtt.maxPartialBytes,
      maxConnecting: config.mqtt.maxConnecting,
      acceptsPerTurn: config.mqtt.acceptsPerTurn,
      readBytesPerTurn: config.mqtt.readBytesPerTurn,
      maxReadBytesInFlight: config.mqtt.maxReadBytesInFlight,
      onCopiesFailed: (err: Error) => log.warn({ err: err.message }, 'the MQTT listener accepts one connection per turn of the event loop: its copies could not be made'),
      tls: tlsEnabled(config) ? config.mqtt.tls : undefined,
      onTlsError: (err: Error, socket: Socket) => {
        // Plain MQTT on the TLS port, a device that does not trust the certificate, a scanner: not the gateway's fault.
        metrics.refusedConnections.inc({ reason: 'tls' })
        log.debug({ remote: socket.remoteAddress, err: err.message }, 'TLS handshake failed')
      },
      onRefused: ({ reason, message }, socket: ConnectionSocket) => {
        metrics.refusedConnections.inc({ reason })
        log.warn({ remote: socket.remoteAddress, reason, message }, 'connection dropped: ' + message)
      },
      onConnectingFull: (socket: ConnectionSocket) => {
        metrics.refusedConnections.inc({ reason: 'connecting_limit' })
        const message = `${config.mqtt.maxConnecting} connections being set up already (mqtt.maxConnecting): CONNACK 3, the device retries after its backoff`
        busy.write('warn', { kind: 'connecting-limit', device: '*' }, { remote: socket.remoteAddress, reason: 'connecting_limit' }, 'connection refused: ' + message)
      },
      hooks: brokerHooks({
        topics: life.topics,
        devices: part(life, 'devices'),
        allowAnonymous: config.allowAnonymous,
        metrics,
        log,
        punches: (device, payload, done) => ingest.handle(device, payload, done),
        status: (device, payload) => sessions.onStatus(device, payload)
      })
    })
    metrics.gauge('punchline_mqtt_connecting', `MQTT connections accepted whose CONNECT is not accepted yet (at most mqtt.maxConnecting, ${config.mqtt.maxConnecting})`, () => handle.connecting())
    sessions.attach(handle.broker)
    life.live?.devices.attach(handle.broker)
  },
  async stop (life) {
    // Ends every connection: what a device has not had acknowledged it keeps, and sends to the next gateway.
    await life.broker?.close()
  }
}

/**
 * The broker listens from its own start; stopping the intake closes its listeners and settles the queued
 * rows: committed, with a turn of the event loop for their PUBACKs and acks to go out (drain), or dropped
 * unacknowledged as a crash would (counted in Gateway.abort's log line).
 */
export const intake: LifeStep = {
  name: 'intake',
  async stop (life, { drain }) {
    stopListening(life)
    if (drain) {
      await life.commit?.settle()
      await new Promise<void>(resolve => setImmediate(resolve))
    } else {
      life.droppedRows = life.commit?.discard() ?? 0
    }
  }
}

/** No new connections on the MQTT listeners (open ones stay until the broker closes). */
function stopListening (life: LifeContext): void {
  life.broker?.stopListening()
}
