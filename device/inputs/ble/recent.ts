/**
 * What each peer sent lately, by its frame number `n`, so a frame sent again (after a reconnect, or when
 * our ack was lost) is acknowledged again with the outcome it got the first time instead of becoming a
 * second punch. An entry remembers the punch's ts and emp too: the same `n` with another punch means the
 * peer lost its counter (a factory reset, a new battery), so its old entries are forgotten rather than
 * letting a new punch be acked as an old one and deleted from the watch unseen.
 */
import type { PunchOutcome } from '../input.js'

export type RecentCheck =
  | { kind: 'new', counterRestarted: boolean }
  /** `outcome` undefined: the first copy is still with the runtime */
  | { kind: 'repeat', outcome: PunchOutcome | undefined }

interface Entry {
  key: string
  outcome: PunchOutcome | undefined
}

export class RecentFrames {
  readonly #limit: number
  readonly #peers = new Map<string, Map<number, Entry>>()

  /** `limit` entries per peer, oldest forgotten first */
  constructor (limit: number) {
    this.#limit = Math.max(1, limit)
  }

  static key (ts: number, emp: string): string {
    return `${ts}\u0000${emp}`
  }

  /** Looks a frame up and, when it is new, remembers it as waiting for the runtime's outcome. */
  admit (peer: string, n: number, key: string): RecentCheck {
    let entries = this.#peers.get(peer)
    if (entries === undefined) {
      entries = new Map()
      this.#peers.set(peer, entries)
    }
    const known = entries.get(n)
    let counterRestarted = false
    if (known !== undefined) {
      if (known.key === key) return { kind: 'repeat', outcome: known.outcome }
      entries.clear()
      counterRestarted = true
    }
    entries.set(n, { key, outcome: undefined })
    if (entries.size > this.#limit) entries.delete(entries.keys().next().value as number)
    return { kind: 'new', counterRestarted }
  }

  /**
   * Records the runtime's outcome. A punch refused for want of storage is forgotten instead: the peer
   * keeps it and sends it again later, and then it deserves a fresh try.
   */
  settle (peer: string, n: number, key: string, outcome: PunchOutcome): void {
    const entries = this.#peers.get(peer)
    const entry = entries?.get(n)
    if (entries === undefined || entry === undefined || entry.key !== key) return
    if (outcome.outcome === 'refused' && outcome.reason === 'storage-full') entries.delete(n)
    else entry.outcome = outcome
  }

  size (peer: string): number {
    return this.#peers.get(peer)?.size ?? 0
  }
}
