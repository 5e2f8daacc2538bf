/**
 * The time command in cluster mode. The single box sends it when a device subscribes to its `cmd` topic
 * (gateway/device-sessions.ts); an external broker tells its clients nothing of other clients'
 * subscriptions, so a node answers what it can see instead: a status (taken through the shared
 * subscription, so one node sees it) whose clock is not synced gets the time. The device applies it and
 * publishes a synced status, which ends the exchange; a device that stays unsynced gets it at most once per
 * CLOCK_SYNC_EVERY_MS from a node.
 */
import { encodeCommand } from '../../../shared/codec/command.js'
import type { StatusDecodeResult } from '../../../shared/codec/status.js'

/** a device whose clock stays unsynced is sent the time at most this often by one node */
export const CLOCK_SYNC_EVERY_MS = 30_000
/** devices remembered for that bound; past it the oldest is forgotten (it may get the time again sooner) */
export const CLOCK_SYNC_MAX_DEVICES = 200_000

export type StatusOutcome = 'time-sent' | 'synced' | 'offline' | 'recent' | 'unreadable'

export class ClockSync {
  readonly #sentAt = new Map<string, number>()
  readonly #send: (device: string, command: string) => void
  readonly #now: () => number

  constructor (send: (device: string, command: string) => void, now: () => number = Date.now) {
    this.#send = send
    this.#now = now
  }

  onStatus (device: string, decoded: StatusDecodeResult): StatusOutcome {
    if (!decoded.ok) return 'unreadable'
    const s = decoded.status
    if (!s.online) return 'offline'
    if (s.clock?.synced !== false) return 'synced'
    const now = this.#now()
    const last = this.#sentAt.get(device)
    if (last !== undefined && now - last < CLOCK_SYNC_EVERY_MS) return 'recent'
    this.#sentAt.delete(device)
    this.#sentAt.set(device, now)
    if (this.#sentAt.size > CLOCK_SYNC_MAX_DEVICES) this.#sentAt.delete(this.#sentAt.keys().next().value as string)
    this.#send(device, encodeCommand({ v: 1, op: 'time', now }))
    return 'time-sent'
  }
}
