/**
 * The load of a fault run: real device runtimes (device/runtime.ts) on file rings, in this process,
 * punching at a steady rate and uploading to the gateway through their real uplinks. They keep what the
 * gateway has not acknowledged and send it again after a drop, as a terminal does. Every punch taken and
 * every ack lands in a fate ledger (sim/engine/fate-ledger.ts) for the reconciliation.
 */
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { parseDeviceConfig } from '../device/config.js'
import { DeviceRuntime } from '../device/runtime.js'
import { punchId } from '../shared/punch.js'
import type { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { waitUntil } from '../sim/hardware-mode/bounded-wait.js'
import { FateLedger } from '../sim/engine/fate-ledger.js'
import { connectLite } from '../sim/fleet/lite-client.js'

export interface FleetDeviceOptions {
  /** where the ring files go (`ring-<id>.bin`) */
  dir: string
  url: string
  capacity: number
  /** punches per batch and batches in flight (the uplink's) */
  batchSize?: number
  window?: number
  /**
   * the nodes of a clustered broker: device i connects first to brokers[i % n] and fails over to the others
   * in turn (broker.failoverUrls); `url` is then unused
   */
  brokers?: string[]
  /** the reconnect backoff's cap; 300 ms by default (the fault is a restart, not the network) */
  backoffCapMs?: number
  /** how often each device publishes its (retained) status; 1 s by default */
  statusIntervalMs?: number
  /** the simulator's light MQTT client (sim/fleet/lite-client.ts) instead of MQTT.js, for a fleet of thousands */
  lite?: boolean
}

/**
 * A device's config as its JSON file would hold it: reconnects within 300 ms of the gateway coming back
 * (a restart is the fault, not the network), an ack awaited 5 s, the clock trusted (the fault suite is
 * not about clocks), and no duplicate-read window so that every punch offered is taken.
 */
export function faultDeviceConfig (id: string, o: FleetDeviceOptions, index = 0): Record<string, unknown> {
  const b = o.brokers
  return {
    id,
    broker: b === undefined || b.length === 0
      ? { url: o.url }
      : { url: b[index % b.length], failoverUrls: b.map((_, k) => b[(index + 1 + k) % b.length]).slice(0, -1) },
    ring: { path: join(o.dir, `ring-${id}.bin`), capacity: o.capacity },
    uplink: { batchSize: o.batchSize ?? 50, window: o.window ?? 2, backoffCapMs: o.backoffCapMs ?? 300, ackTimeoutMs: 5000, statusIntervalMs: o.statusIntervalMs ?? 1000 },
    clock: { trustSystemClock: true },
    duplicateWindowMs: 0
  }
}

export class DeviceFleet {
  readonly truth = new FateLedger()
  readonly devices: DeviceRuntime[]
  #n = 0
  #load?: Promise<void>
  #punching = false

  constructor (ids: readonly string[], o: FleetDeviceOptions) {
    const log = pino({ level: 'silent' })
    this.devices = ids.map((id, i) => {
      const runtime = new DeviceRuntime(parseDeviceConfig(faultDeviceConfig(id, o, i)), { log, uplink: o.lite === true ? { connect: connectLite } : undefined })
      runtime.uplink.on('acked', (acked: number[], rejected: number[]) => {
        for (const s of acked) this.truth.settle(punchId(id, runtime.ring.epoch, s), 'acked')
        for (const s of rejected) this.truth.settle(punchId(id, runtime.ring.epoch, s), 'rejected')
      })
      return runtime
    })
  }

  async start (): Promise<void> {
    for (const d of this.devices) await d.start()
  }

  /** One punch on every device; returns how many the rings took. */
  punch (): number {
    let taken = 0
    for (const d of this.devices) {
      const emp = `E${++this.#n}`
      const o = d.punch({ emp, method: 'card' })
      if (o.outcome !== 'accepted') continue
      this.truth.taken(punchId(d.config.id, d.ring.epoch, o.seq), Date.now(), emp)
      taken++
    }
    return taken
  }

  /** `burst` punches on every device every `intervalMs` until stopLoad(). */
  startLoad (intervalMs: number, burst = 1): void {
    this.#punching = true
    this.#load = (async () => {
      while (this.#punching) {
        for (let i = 0; i < burst; i++) this.punch()
        await sleep(intervalMs)
      }
    })()
  }

  async stopLoad (): Promise<void> {
    this.#punching = false
    await this.#load
  }

  /** punches in the rings the gateway has not acknowledged */
  pending (): number {
    return this.devices.reduce((n, d) => n + d.ring.stats().pending, 0)
  }

  /**
   * Waits until the rings hold nothing unacknowledged and the upstream has every acknowledged punch
   * (but those in `parked`); resolves false if that takes longer than `timeoutMs`.
   */
  async drained (sink: WebhookUpstream, timeoutMs: number, parked: ReadonlySet<string> = new Set()): Promise<boolean> {
    return await waitUntil(() => {
      if (this.pending() > 0) return false
      for (const id of this.truth.ids('acked')) if (!sink.received.has(id) && !parked.has(id)) return false
      return true
    }, { timeoutMs })
  }

  async stop (): Promise<void> {
    await this.stopLoad()
    // Together: a thousand devices each given STOP_GRACE_MS by a dead broker would take that many times it.
    await Promise.all(this.devices.map(async d => await d.stop().catch(() => {})))
  }
}
