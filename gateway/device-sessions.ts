/**
 * What the gateway does in a device's session, apart from its punches (ingest/): notes when it was last
 * seen, sends it the time and, after a restore, asks it back for what the file lacks when it comes online
 * (subscribes to its commands), keeps its statuses, and publishes acks and commands to it.
 */
import type { Aedes, Client, PublishPacket, Subscription } from 'aedes'
import type { Topics, Channel } from '../shared/topics.js'
import { decodeStatus, type DeviceStatus } from '../shared/codec/status.js'
import { fieldOf } from '../shared/codec/check.js'
import { encodeCommand, type Command } from '../shared/codec/command.js'
import type { Logger } from '../shared/log.js'
import type { Db } from './store/db.js'
import type { DeviceStore } from './store/device-store.js'
import type { DeviceClocks } from './rules/device-clocks.js'
import type { GatewayMetrics } from './metrics.js'
import { clientIdForLog } from './broker/auth.js'
import { LogLimiter } from './log-limiter.js'
import { RestoreResend } from './restore-resend.js'

export interface DeviceSessionsOptions {
  db: Db
  topics: Topics
  devices: DeviceStore
  clocks: DeviceClocks
  metrics: GatewayMetrics
  log: Logger
  now: () => number
  /** set when the gateway moved a corrupt file aside and starts on an empty one (restore-resend.ts) */
  corruptKeptAs?: string
  /** a readable status came (device-live.ts follows it) */
  statusCame?: (device: string, status: DeviceStatus) => void
}

export class DeviceSessions {
  readonly #o: DeviceSessionsOptions
  /** A restored (or emptied) file lacks punches devices were told are stored: ask them back (restore-resend.ts). */
  readonly restoreResend: RestoreResend
  /** statuses a device can repeat as fast as it publishes: one line per device and field per window */
  readonly #statusLog: LogLimiter
  #broker?: Aedes

  constructor (o: DeviceSessionsOptions) {
    this.#o = o
    this.restoreResend = new RestoreResend({
      db: o.db,
      log: o.log.child({ part: 'restore-resend' }),
      send: (device, command) => this.command(device, command),
      now: o.now,
      corruptKeptAs: o.corruptKeptAs,
      statusOf: (id) => o.devices.get(id)?.status
    })
    this.#statusLog = new LogLimiter({ log: o.log, suppressed: (kind) => o.metrics.logSuppressed.inc({ kind }), now: o.now })
  }

  /** Follows the broker's sessions from now on; publishing waits for this. */
  attach (broker: Aedes): void {
    const { topics, devices, log, now } = this.#o
    this.#broker = broker
    broker.on('client', (client: Client) => {
      // A full disk must not crash the gateway from here: last-seen is bookkeeping, the punches are not.
      try { devices.seen(client.id, now()) } catch (err) { log.warn({ err, client: client.id }, 'could not record last seen') }
    })
    broker.on('subscribe', (subs: Subscription[], client: Client) => {
      for (const s of subs) {
        // docs/PROTOCOL.md: the time command is sent when a device comes online (= subscribes to its commands).
        if (s.topic === topics.of(client.id, 'cmd')) this.syncNow(client.id)
      }
    })
    // Before authentication the id is whatever the client sent.
    broker.on('clientError', (client: Client, err: Error) => log.debug({ client: clientIdForLog(client.id ?? ''), err: err.message }, 'client error'))
  }

  /**
   * What the gateway sends a device that comes online, and an operator's "sync now" sends again
   * (POST /api/v1/devices/{id}/sync): the time, which the device answers with a fresh status and, from
   * this version of the device runtime on, by publishing its ring at once (what SIGUSR1 does on the
   * device); and, after a restore, the resend of what the file lacks, if not asked yet.
   */
  syncNow (device: string): void {
    this.command(device, { v: 1, op: 'time', now: this.#o.now() })
    this.restoreResend.onConnect(device)
  }

  command (device: string, command: Command): void {
    this.send(device, 'cmd', encodeCommand(command))
  }

  /** Publishes to one of the device's topics at QoS 1; a failure is logged (the device asks again). */
  send (device: string, channel: Channel, payload: string): void {
    const topic = this.#o.topics.of(device, channel)
    this.#broker?.publish({
      cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false
    } as PublishPacket, (err?: Error) => {
      if (err != null) this.#o.log.warn({ err, topic }, 'publish to device failed')
    })
  }

  /** A publish on the device's own status topic (broker/hooks.ts). */
  onStatus (device: string, payload: Buffer): void {
    const { metrics, devices, clocks, log, now } = this.#o
    const decoded = decodeStatus(payload)
    if (!decoded.ok) {
      metrics.rejects.inc({ field: 'status' })
      if (decoded.tooLarge === true) metrics.payloadsTooLarge.inc({ channel: 'status' })
      this.#statusLog.write('warn', { kind: 'status-unreadable', device, detail: fieldOf(decoded.error) },
        { device, error: decoded.error, bytes: payload.length }, 'unreadable status')
      return
    }
    try {
      devices.saveStatus(device, decoded.status, now())
    } catch (err) {
      log.warn({ err, device }, 'could not save the device status')
    }
    clocks.update(device, decoded.status)
    this.restoreResend.onStatus(device, decoded.status)
    this.#o.statusCame?.(device, decoded.status)
  }
}
