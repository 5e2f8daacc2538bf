/**
 * Each device's last big clock correction, as its status reports it, for the clock-skew rule. Read from
 * the saved status the first time a device's punches arrive after a start, then kept current by the
 * status messages themselves.
 */
import type { DeviceStatus } from '../../shared/codec/status.js'
import type { ClockJumpInfo } from './rules.js'

export class DeviceClocks {
  readonly #load: (device: string) => DeviceStatus | null | undefined
  readonly #jumps = new Map<string, ClockJumpInfo | null>()

  constructor (load: (device: string) => DeviceStatus | null | undefined) {
    this.#load = load
  }

  jump (device: string): ClockJumpInfo | undefined {
    let j = this.#jumps.get(device)
    if (j === undefined) {
      j = jumpOf(this.#load(device) ?? undefined)
      this.#jumps.set(device, j)
    }
    return j ?? undefined
  }

  update (device: string, status: DeviceStatus): void {
    // The last will ({online:false}) says nothing about the clock: keep what the device said before.
    if (status.clock === undefined) return
    this.#jumps.set(device, jumpOf(status))
  }
}

function jumpOf (s: DeviceStatus | undefined): ClockJumpInfo | null {
  const c = s?.clock
  if (c?.lastJumpMs === undefined || c.lastJumpAt === undefined) return null
  if (!Number.isFinite(c.lastJumpMs) || !Number.isFinite(c.lastJumpAt)) return null
  return { byMs: c.lastJumpMs, at: c.lastJumpAt }
}
