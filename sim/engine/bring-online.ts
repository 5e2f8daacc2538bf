/**
 * Starts a scenario's fleet and waits, in real time, until it is online, before virtual time starts.
 *
 * A fleet larger than one wave starts through startStaggered (sim/fleet/fleet.ts): at most `wave` devices
 * connecting at once, the next starting as one comes online. Ten thousand devices started in the same
 * tick would be a thundering herd before the scenario asked for one, and the clock would run while the
 * gateway is still accepting them, so the first hours of the plan would play against a half-connected site.
 *
 * The wait is bounded: it ends when every device is online, when none has come online for `stallMs`
 * (devices that cannot connect: a link cut from the start, wrong credentials in remote mode; the run goes
 * on and the reconciliation tells their story), or after `timeoutMs`.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { startStaggered } from '../fleet/fleet.js'
import type { FleetDevice } from './fleet-device.js'

export interface BringOnlineOptions {
  wave: number
  timeoutMs: number
  /** no device newly online for this long ends the wait (default 30 s) */
  stallMs?: number
  /** called on every poll (a progress line) */
  poll?: () => void
}

/** Returns how many devices are online when the wait ends. */
export async function bringOnline (devices: readonly FleetDevice[], o: BringOnlineOptions): Promise<number> {
  const online = (): number => { let n = 0; for (const d of devices) if (d.uplink.connected) n++; return n }
  if (devices.length <= o.wave) {
    for (const d of devices) d.start()
  } else {
    const start = startStaggered(devices, { windowMs: 0, maxPending: o.wave, settleTimeoutMs: 30_000 })
    devices.forEach((d, i) => d.uplink.once('online', () => start.settled(i)))
    await start.done
  }
  const stallMs = o.stallMs ?? 30_000
  const deadline = Date.now() + o.timeoutMs
  let last = -1
  let lastChange = Date.now()
  for (;;) {
    const n = online()
    o.poll?.()
    if (n === devices.length) return n
    if (n !== last) { last = n; lastChange = Date.now() }
    if (Date.now() - lastChange >= stallMs || Date.now() >= deadline) return n
    await sleep(devices.length > o.wave ? 100 : 5)
  }
}
