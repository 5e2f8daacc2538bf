/**
 * The credentials a device accepted within its duplicate-read window (device/runtime.ts): the same card
 * again inside the window is a duplicate read, not a second punch. Entries are kept in the order they
 * came, so those past the window are at the front and go when the next read is remembered; at most
 * `maxEntries` are kept whatever their age.
 *
 * Most of the time a device holds one credential (people rarely punch within seconds of each other on the
 * same terminal): that one lives in plain fields, and a table exists only while two or more are kept. A
 * simulator runs ten thousand devices in one process, and an empty table costs more than the entry.
 */

export interface RecentRead {
  seq: number
  at: number
}

export class RecentReads {
  readonly #windowMs: number
  readonly #maxEntries: number
  /** the one entry kept while there is no table */
  #emp: string | undefined
  #one: RecentRead | undefined
  /** two entries or more, oldest first */
  #table: Map<string, RecentRead> | undefined

  constructor (windowMs: number, maxEntries: number) {
    this.#windowMs = windowMs
    this.#maxEntries = maxEntries
  }

  /** The last accepted read of `emp` still kept (it may be past the window: the caller compares times). */
  get (emp: string): RecentRead | undefined {
    if (this.#table !== undefined) return this.#table.get(emp)
    return emp === this.#emp ? this.#one : undefined
  }

  remember (emp: string, seq: number, at: number): void {
    if (this.#windowMs <= 0) return
    const entry = { seq, at }
    if (this.#table === undefined && (this.#emp === undefined || this.#emp === emp)) {
      this.#emp = emp
      this.#one = entry
      return
    }
    const table = this.#table ?? new Map([[this.#emp!, this.#one!]])
    table.delete(emp)
    table.set(emp, entry)
    for (const [old, e] of table) {
      if (table.size <= this.#maxEntries && at - e.at < this.#windowMs) break
      table.delete(old)
    }
    if (table.size > 1) {
      this.#table = table
      this.#emp = undefined
      this.#one = undefined
      return
    }
    // Back to one entry (necessarily the one just remembered): the table goes.
    this.#table = undefined
    this.#emp = emp
    this.#one = entry
  }
}
