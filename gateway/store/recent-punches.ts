/**
 * The newest stored punches, kept in memory so that the forwarder, which sends punches moments after they
 * are committed, need not read them back from SQLite: in the post-outage drain that read was 9 % of the
 * gateway's CPU (1.8 µs a punch, docs/BENCHMARKS.md). A cache, never a source of truth:
 *
 * - rows enter only after the transaction that stored them has committed (group-commit.ts), in id order;
 * - a range is answered only when the window holds every id of it that it was given, and the caller checks
 *   the count against the table (forward-store.ts), so a row written by anything else, or purged since,
 *   sends the read to SQLite instead;
 * - it is bounded (`capacity` rows, the oldest dropped first): a forwarder that falls behind (an upstream
 *   outage) reads from SQLite as before.
 */
import type { StoredPunch } from './punch-store.js'

export class RecentPunches {
  readonly capacity: number
  /** rows in id order; the live ones are rows[head..] */
  #rows: StoredPunch[] = []
  #head = 0
  /** every row with an id from here to the newest added is in the window (Infinity: nothing added yet) */
  #coversFrom = Infinity

  constructor (capacity: number) {
    if (!(capacity >= 1)) throw new Error('capacity: must be at least 1')
    this.capacity = capacity
  }

  get size (): number {
    return this.#rows.length - this.#head
  }

  /** Rows just committed, in id order (each id above every id added before). */
  add (rows: readonly StoredPunch[]): void {
    if (rows.length === 0) return
    const newest = this.size === 0 ? -Infinity : this.#rows[this.#rows.length - 1].id
    if (rows[0].id <= newest) {
      // Out of order: ids were handed out elsewhere. Start again from these rows rather than guess.
      this.clear()
    }
    if (this.size === 0) this.#coversFrom = rows[0].id
    for (const r of rows) this.#rows.push(r)
    const excess = this.size - this.capacity
    if (excess > 0) {
      this.#head += excess
      this.#coversFrom = this.#rows[this.#head].id
    }
    // Compact now and then, so the array does not grow with everything ever added.
    if (this.#head > this.capacity) {
      this.#rows = this.#rows.slice(this.#head)
      this.#head = 0
    }
  }

  /**
   * The rows with ids in [firstId, lastId], in id order, when the window holds that whole range;
   * undefined when part of it may lie outside (older than the window, or newer than anything added).
   */
  range (firstId: number, lastId: number): StoredPunch[] | undefined {
    if (this.size === 0 || firstId < this.#coversFrom || lastId > this.#rows[this.#rows.length - 1].id) return undefined
    const from = this.#lowerBound(firstId)
    const out: StoredPunch[] = []
    for (let i = from; i < this.#rows.length && this.#rows[i].id <= lastId; i++) out.push(this.#rows[i])
    return out
  }

  clear (): void {
    this.#rows = []
    this.#head = 0
    this.#coversFrom = Infinity
  }

  /** index of the first live row with id >= id */
  #lowerBound (id: number): number {
    let lo = this.#head
    let hi = this.#rows.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.#rows[mid].id < id) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
