/**
 * A simulated terminal or watch: a real DeviceRuntime (device/runtime.ts) driven by the engine instead of
 * hardware, so every planned punch goes through the device's own duplicate-read check, clock stamping and
 * outcomes. Around it sit the scenario's fault knobs: its system clock is the virtual clock bent by drift, a
 * jump or an RTC that lost its time; it can lose power (a reboot is a new runtime over the same ring), with
 * the punch being written torn when the scenario says so; the next fix can be spoofed and the next record
 * poisoned.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs'
import type { Logger } from '../../shared/log.js'
import type { BackoffPolicy } from '../../shared/backoff.js'
import { punchId } from '../../shared/punch.js'
import { createMemoryRing, openFileRing, HEADER_SIZE, RECORD_SIZE, type Ring } from '../../device/ring/index.js'
import { DEFAULT_CONNECT_TIMEOUT_MS, type Uplink, type UplinkOptions } from '../../device/uplink.js'
import type { DeviceClock } from '../../device/clock.js'
import { DEFAULT_DUPLICATE_WINDOW_MS, type DeviceConfig } from '../../device/config.js'
import type { InputRead } from '../../device/inputs/input.js'
import { DeviceRuntime, type PunchEvent } from '../../device/runtime.js'
import type { DeviceGroupSpec, PlannedPunch } from '../scenario/types.js'
import type { FateLedger } from './fate-ledger.js'

export interface FleetDeviceOptions {
  id: string
  site: string
  group: DeviceGroupSpec
  url: string
  secret?: string
  tz: number
  /** a file for the ring (power cuts need one to tear); in memory otherwise */
  ringFile?: string
  /** a plain function (the engine's is bound): the runtime's clock calls it as it is */
  virtualNow: () => number
  ledger: FateLedger
  log: Logger
  random: () => number
  connect?: UplinkOptions['connect']
  /** the longest wait between reconnect attempts (real ms, default 1000) */
  backoffCapMs?: number
  /** real ms between status reports (default 5000) */
  statusIntervalMs?: number
}

const NONE_POISONED: readonly string[] = Object.freeze([])

/** Before this the RTC cannot be right (device/clock.ts says the same). */
const RTC_RESET = Date.UTC(2000, 0, 1)

export class FleetDevice {
  readonly id: string
  readonly site: string
  readonly kind: 'terminal' | 'watch'
  /** the device as it runs since its last power-on */
  runtime: DeviceRuntime
  readonly #o: FleetDeviceOptions
  readonly #config: DeviceConfig
  readonly #startedAt: number
  #jumpMs = 0
  #rtcLostAt: number | undefined
  #powered = true
  /** km to move the next located punch (a spoofed fix) */
  #spoofKm = 0
  /** the next punch is a record the upstream will refuse */
  #poisonNext = false
  /** the seq the ring gave up for the punch being taken, from the runtime's outcome event */
  #overwrote: number | undefined
  /** made by the first poisoned punch: most devices never have one */
  #poisoned: string[] | undefined

  constructor (o: FleetDeviceOptions) {
    this.#o = o
    this.id = o.id
    this.site = o.site
    this.kind = o.group.kind
    this.#startedAt = o.virtualNow()
    this.#config = simDeviceConfig(o)
    this.runtime = this.#boot(this.#openRing())
  }

  get ring (): Ring { return this.runtime.ring }
  get uplink (): Uplink { return this.runtime.uplink }
  get clock (): DeviceClock { return this.runtime.clock }
  /** ids of the punches this device poisoned, oldest first */
  get poisoned (): readonly string[] { return this.#poisoned ?? NONE_POISONED }

  /** The device's own idea of the system time: virtual time, drifted, jumped, or restarted by a dead RTC. */
  systemNow (): number {
    const v = this.#o.virtualNow()
    if (this.#rtcLostAt !== undefined) return RTC_RESET + (v - this.#rtcLostAt)
    return v + (v - this.#startedAt) * this.#o.group.clockDriftPpm * 1e-6 + this.#jumpMs
  }

  get powered (): boolean { return this.#powered }

  /** punches the device holds unacknowledged */
  get pending (): number { return this.ring.stats().pending }

  start (): void { this.uplink.start() }

  async stop (): Promise<void> {
    await this.runtime.stop()
  }

  /** A person punches as planned. Returns the punch id when the ring took it. */
  punch (p: PlannedPunch): string | undefined {
    const led = this.#o.ledger
    led.attempted++
    if (!this.#powered) { led.refused++; return undefined }
    const read: Omit<InputRead, 'input'> = { emp: p.emp, kind: p.kind, method: p.method }
    if (p.manual !== undefined) {
      // A make-up punch carries the time it is for, entered on the device against the device's own clock.
      read.ts = p.manual.forTs
      read.clock = this.clock.synced ? 'synced' : 'unsynced'
      read.manual = { reason: p.manual.reason }
    } else if (p.loc !== undefined) {
      read.loc = this.#spoofKm === 0 ? p.loc : { ...p.loc, lat: Math.min(89, p.loc.lat + this.#spoofKm / 111.2) }
      this.#spoofKm = 0
    }
    this.#overwrote = undefined
    const outcome = this.runtime.punch(read)
    if (outcome.outcome === 'duplicate-read') { led.duplicateReads++; return undefined }
    if (outcome.outcome !== 'accepted') { led.refused++; return undefined }
    const epoch = this.ring.epoch
    const id = punchId(this.id, epoch, outcome.seq)
    // The badge too, so the reconciliation sees a punch that reached upstream with another's content.
    led.taken(id, p.manual !== undefined ? p.manual.forTs : p.at, p.emp)
    if (this.#overwrote !== undefined) led.settle(punchId(this.id, epoch, this.#overwrote), 'overwritten')
    if (this.#poisonNext) { (this.#poisoned ??= []).push(id); this.#poisonNext = false }
    return id
  }

  /** Ids of the punches still on the device, unacknowledged. */
  pendingIds (): string[] {
    return this.ring.pending({ order: 'oldest', limit: this.ring.capacity }).map(p => punchId(this.id, this.ring.epoch, p.seq))
  }

  jumpClock (byMs: number): void { this.#jumpMs += byMs }
  spoofNext (km: number): void { this.#spoofKm = km }
  poisonNext (): void { this.#poisonNext = true }

  /**
   * Power lost. With `tornWrite` a punch was being written at that moment: its record is left half
   * written on the medium (file rings only) and the person never got a confirmation, so it counts as
   * refused, not as taken. Recovery on power-on must skip it and keep everything else.
   */
  async powerCut (tornWrite: boolean): Promise<void> {
    if (!this.#powered) return
    this.#powered = false
    await this.uplink.stop()
    if (tornWrite && this.#o.ringFile !== undefined) this.#tearNextWrite()
    this.ring.close()
  }

  /**
   * Power back (after a cut, or with an RTC that lost its time): the device boots a fresh runtime, and the
   * ring recovers from its file (a memory ring stands for a medium that kept everything).
   */
  powerOn (rtcLost = false): void {
    if (rtcLost) this.#rtcLostAt = this.#o.virtualNow()
    if (this.#powered && !rtcLost) return
    this.#powered = true
    this.runtime = this.#boot(this.#o.ringFile !== undefined ? this.#openRing() : this.ring)
    this.uplink.start()
  }

  /** An RTC that loses its time means a reboot: the device comes back in 2000, unsynced until the gateway sets it. */
  async rtcLoss (): Promise<void> {
    await this.uplink.stop()
    this.powerOn(true)
  }

  /** Appends one more punch, then mangles the second half of the record it wrote, as a cut mid-write would. */
  #tearNextWrite (): void {
    const file = this.#o.ringFile!
    const before = readFileSync(file)
    const r = this.ring.append({ ts: this.clock.now(), emp: 'TORN', kind: 'auto', method: 'card', clock: 'synced' })
    this.#o.ledger.attempted++
    this.#o.ledger.torn++
    if (!r.ok) return
    const after = readFileSync(file)
    for (let off = HEADER_SIZE; off < after.length; off += RECORD_SIZE) {
      if (before.subarray(off, off + RECORD_SIZE).equals(after.subarray(off, off + RECORD_SIZE))) continue
      const fd = openSync(file, 'r+')
      try { writeSync(fd, Buffer.alloc(RECORD_SIZE / 2, 0xa5), 0, RECORD_SIZE / 2, off + RECORD_SIZE / 2) } finally { closeSync(fd) }
      return
    }
  }

  #openRing (): Ring {
    const g = this.#o.group
    const opts = { capacity: g.ring.capacity, policy: g.ring.policy, now: () => this.systemNow() }
    return this.#o.ringFile !== undefined ? openFileRing({ ...opts, path: this.#o.ringFile }) : createMemoryRing(opts)
  }

  #boot (ring: Ring): DeviceRuntime {
    const o = this.#o
    const runtime = new DeviceRuntime(this.#config, {
      log: o.log,
      partLog: () => o.log,
      ring,
      systemNow: () => this.systemNow(),
      monotonic: o.virtualNow,
      random: o.random,
      uplink: { connect: o.connect, backoff: reconnectBackoff(this.#config.uplink.backoffCapMs) }
    })
    runtime.on('outcome', (e: PunchEvent) => { this.#overwrote = e.overwrote })
    runtime.uplink.on('acked', (acked: number[], rejected: number[]) => {
      for (const s of acked) o.ledger.settle(punchId(o.id, ring.epoch, s), 'acked')
      for (const s of rejected) o.ledger.settle(punchId(o.id, ring.epoch, s), 'rejected')
    })
    runtime.uplink.on('rejected', (list: Array<{ seq: number }>) => {
      for (const r of list) o.ledger.settle(punchId(o.id, ring.epoch, r.seq), 'rejected')
    })
    return runtime
  }
}

/** The simulator's reconnect backoff, one object per cap rather than one per device. */
const backoffs = new Map<number, BackoffPolicy>()
function reconnectBackoff (capMs: number): BackoffPolicy {
  let b = backoffs.get(capMs)
  if (b === undefined) backoffs.set(capMs, b = { baseMs: 100, capMs })
  return b
}

type SharedParts = Pick<DeviceConfig, 'profile' | 'ring' | 'uplink' | 'clock' | 'inputs' | 'broker'>

/** One set of a group's config parts for all its devices: ten thousand copies of the same objects add up. */
const sharedParts = new WeakMap<DeviceGroupSpec, SharedParts>()

/**
 * What a simulated device's config file would say: its group's ring and uplink, the device's defaults
 * elsewhere. The ring's path is empty: the simulator opens the ring itself (in memory, or a file for power
 * cuts) and hands it to the runtime.
 */
function simDeviceConfig (o: FleetDeviceOptions): DeviceConfig {
  const g = o.group
  const backoffCapMs = o.backoffCapMs ?? 1000
  const statusIntervalMs = o.statusIntervalMs ?? 5_000
  let parts = sharedParts.get(g)
  if (parts === undefined || parts.uplink.backoffCapMs !== backoffCapMs || parts.uplink.statusIntervalMs !== statusIntervalMs || parts.broker.url !== o.url) {
    parts = {
      profile: g.kind,
      ring: { path: '', capacity: g.ring.capacity, retentionHours: 0, policy: g.ring.policy },
      uplink: { order: 'newest', batchSize: g.uplink.batchSize, window: g.uplink.window, backoffCapMs, ackTimeoutMs: 10_000, connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS, statusIntervalMs },
      // The virtual clock is the truth the scenario bends; the gateway corrects it as it would a real one.
      clock: { trustSystemClock: true, jumpWarnMs: 60_000 },
      inputs: [],
      broker: { url: o.url, failoverUrls: [], rejectUnauthorized: true }
    }
    sharedParts.set(g, parts)
  }
  // Written out, not spread: past the first few hundred devices V8 gives each spread copy a map (hidden
  // class) of its own, which costs more than the object.
  return {
    profile: parts.profile,
    ring: parts.ring,
    uplink: parts.uplink,
    clock: parts.clock,
    inputs: parts.inputs,
    id: o.id,
    secret: o.secret,
    broker: parts.broker,
    tz: o.tz,
    duplicateWindowMs: DEFAULT_DUPLICATE_WINDOW_MS,
    maxFixAgeMs: 120_000,
    fw: 'sim'
  }
}
