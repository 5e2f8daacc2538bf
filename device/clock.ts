/**
 * The device's idea of the time. Cheap terminals and watches lose their RTC on a flat battery and come up
 * in 2000 or wherever the RTC drifted to; the device must go on taking punches all the same. So:
 *
 * - Until the gateway's `time` command arrives (or the operator says the system clock is NTP-synced),
 *   punches are stamped with the best time there is and marked `clock: unsynced`, together with `up`, the
 *   ms since this runtime started (monotonic, never stepped), so they can be corrected later from the
 *   uptime the status reports next to a synced time.
 * - The time command sets an offset over the system clock; it never touches punches already stored
 *   (their ts stays what the device believed then, as docs/ARCHITECTURE.md, decision 6, has the gateway
 *   flag it).
 * - A correction bigger than `jumpWarnMs` is logged and reported in status as the last jump.
 */
import type { Logger } from '../shared/log.js'

export interface ClockJump {
  /** when the correction was applied (corrected clock, ms since 1970) */
  at: number
  /** how far the clock moved, ms; positive = forward */
  byMs: number
}

export interface ClockOptions {
  /** the system clock (injectable for the simulator's virtual time) */
  systemNow?: () => number
  /** a monotonic ms counter (performance.now by default) */
  monotonic?: () => number
  trustSystemClock: boolean
  jumpWarnMs: number
  log: Logger
}

/** Before 2020 the system clock cannot be right: the RTC lost its battery. */
const SANE_AFTER = Date.UTC(2020, 0, 1)

export class DeviceClock {
  readonly #systemNow: () => number
  readonly #monotonic: () => number
  readonly #startMono: number
  readonly #jumpWarnMs: number
  readonly #log: Logger
  #offset = 0
  #synced: boolean
  #lastJump: ClockJump | undefined
  #syncs = 0

  constructor (o: ClockOptions) {
    this.#systemNow = o.systemNow ?? Date.now
    this.#monotonic = o.monotonic ?? (() => performance.now())
    this.#startMono = this.#monotonic()
    this.#jumpWarnMs = o.jumpWarnMs
    this.#log = o.log
    this.#synced = o.trustSystemClock && this.#systemNow() >= SANE_AFTER
    if (o.trustSystemClock && !this.#synced) o.log.warn({ system: new Date(this.#systemNow()).toISOString() }, 'system clock is before 2020: treating it as unsynced until the gateway sends the time')
  }

  /** The corrected time, ms since 1970. */
  now (): number {
    return Math.round(this.#systemNow() + this.#offset)
  }

  /** ms since this runtime started; monotonic, unaffected by any time correction. */
  uptime (): number {
    return Math.floor(this.#monotonic() - this.#startMono)
  }

  get synced (): boolean { return this.#synced }
  get offsetMs (): number { return this.#offset }
  get lastJump (): ClockJump | undefined { return this.#lastJump }
  get syncs (): number { return this.#syncs }

  /** The gateway's time command: `now` is the gateway's clock when it sent the command. */
  set (now: number): ClockJump {
    const before = this.now()
    this.#offset = now - this.#systemNow()
    const jump = { at: now, byMs: now - before }
    const wasSynced = this.#synced
    this.#synced = true
    this.#syncs++
    if (Math.abs(jump.byMs) > this.#jumpWarnMs) {
      this.#lastJump = jump
      // Punches already stored keep their ts; only punches from now on use the corrected clock.
      this.#log.warn({ byMs: jump.byMs, from: new Date(before).toISOString(), to: new Date(now).toISOString(), wasSynced },
        'clock jump: the gateway\'s time differs from ours; stored punches are left as they were')
    } else {
      this.#log.debug({ byMs: jump.byMs }, 'clock set from the gateway')
    }
    return jump
  }

  /** What the status message says about the clock (docs/PROTOCOL.md, "Status (retained)", `clock`). */
  status (): { synced: boolean, offsetMs: number, lastJumpMs?: number, lastJumpAt?: number } {
    const s: { synced: boolean, offsetMs: number, lastJumpMs?: number, lastJumpAt?: number } = { synced: this.#synced, offsetMs: Math.round(this.#offset) }
    if (this.#lastJump !== undefined) { s.lastJumpMs = this.#lastJump.byMs; s.lastJumpAt = this.#lastJump.at }
    return s
  }
}
