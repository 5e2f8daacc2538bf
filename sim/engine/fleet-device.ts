/**
 * A simulated terminal or watch: the real parts of a device (its ring, its uplink, its clock) driven by
 * the engine instead of hardware. Its system clock is the virtual clock bent by the faults a scenario
 * gives it (drift, a jump, an RTC that lost its time), and it can lose power, with the punch being
 * written torn when the scenario says so.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs'
import type { Logger } from '../../shared/log.js'
import { punchId, type PunchInput } from '../../shared/punch.js'
import { createMemoryRing, openFileRing, HEADER_SIZE, RECORD_SIZE, type Ring } from '../../device/ring/index.js'
import { Uplink, type UplinkOptions } from '../../device/uplink.js'
import { DeviceClock } from '../../device/clock.js'
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

/** Before this the RTC cannot be right (device/clock.ts says the same). */
const RTC_RESET = Date.UTC(2000, 0, 1)

export class FleetDevice {
  readonly id: string
  readonly site: string
  readonly kind: 'terminal' | 'watch'
  ring: Ring
  uplink: Uplink
  clock: DeviceClock
  readonly #o: FleetDeviceOptions
  readonly #startedAt: number
  #jumpMs = 0
  #rtcLostAt: number | undefined
  #powered = true
  /** km to move the next located punch (a spoofed fix) */
  #spoofKm = 0
  /** the next punch is a record the upstream will refuse */
  #poisonNext = false
  readonly poisoned: string[] = []

  constructor (o: FleetDeviceOptions) {
    this.#o = o
    this.id = o.id
    this.site = o.site
    this.kind = o.group.kind
    this.#startedAt = o.virtualNow()
    this.ring = this.#openRing()
    this.clock = this.#newClock()
    this.uplink = this.#newUplink()
  }

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
    await this.uplink.stop()
    this.ring.close()
  }

  /** A person punches as planned. Returns the punch id when the ring took it. */
  punch (p: PlannedPunch): string | undefined {
    const led = this.#o.ledger
    led.attempted++
    if (!this.#powered) { led.refused++; return undefined }
    const input: PunchInput = {
      ts: p.manual !== undefined ? p.manual.forTs : this.clock.now(),
      emp: p.emp,
      kind: p.kind,
      method: p.manual !== undefined ? 'manual' : p.method,
      clock: this.clock.synced ? 'synced' : 'unsynced'
    }
    if (!this.clock.synced) input.up = this.clock.uptime()
    if (p.manual !== undefined) input.manual = { reason: p.manual.reason }
    if (p.loc !== undefined && p.manual === undefined) {
      input.loc = this.#spoofKm === 0 ? p.loc : { ...p.loc, lat: Math.min(89, p.loc.lat + this.#spoofKm / 111.2) }
      this.#spoofKm = 0
    }
    const r = this.ring.append(input)
    if (!r.ok) { led.refused++; return undefined }
    const id = punchId(this.id, this.ring.epoch, r.seq)
    led.taken(id, p.manual !== undefined ? p.manual.forTs : p.at)
    if (r.overwrote !== undefined) led.settle(punchId(this.id, this.ring.epoch, r.overwrote.seq), 'overwritten')
    if (this.#poisonNext) { this.poisoned.push(id); this.#poisonNext = false }
    this.uplink.kick()
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

  /** Power back (after a cut, or with an RTC that lost its time): the ring recovers from its file. */
  powerOn (rtcLost = false): void {
    if (rtcLost) this.#rtcLostAt = this.#o.virtualNow()
    if (this.#powered && !rtcLost) return
    this.#powered = true
    if (this.#o.ringFile !== undefined) this.ring = this.#openRing()
    this.clock = this.#newClock()
    this.uplink = this.#newUplink()
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

  #newClock (): DeviceClock {
    return new DeviceClock({
      systemNow: () => this.systemNow(),
      monotonic: () => this.#o.virtualNow(),
      trustSystemClock: true,
      jumpWarnMs: 60_000,
      log: this.#o.log
    })
  }

  #newUplink (): Uplink {
    const o = this.#o
    const uplink = new Uplink({
      url: o.url,
      deviceId: o.id,
      secret: o.secret,
      ring: this.ring,
      batchSize: o.group.uplink.batchSize,
      window: o.group.uplink.window,
      tz: o.tz,
      fw: 'sim',
      log: o.log,
      random: o.random,
      now: () => this.clock.now(),
      backoff: { baseMs: 100, capMs: o.backoffCapMs ?? 1000 },
      ackTimeoutMs: 10_000,
      statusIntervalMs: o.statusIntervalMs ?? 5_000,
      statusExtras: () => ({ clock: this.clock.status() }),
      connect: o.connect
    })
    const ring = this.ring
    uplink.on('acked', (acked: number[], rejected: number[]) => {
      for (const s of acked) o.ledger.settle(punchId(o.id, ring.epoch, s), 'acked')
      for (const s of rejected) o.ledger.settle(punchId(o.id, ring.epoch, s), 'rejected')
    })
    uplink.on('rejected', (list: Array<{ seq: number }>) => {
      for (const r of list) o.ledger.settle(punchId(o.id, ring.epoch, r.seq), 'rejected')
    })
    uplink.on('time', (gatewayNow: number) => {
      // The correction is an offset over the (still wrong) system clock, as on a real device.
      this.clock.set(gatewayNow)
      uplink.publishStatus()
    })
    return uplink
  }
}
