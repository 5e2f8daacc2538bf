/**
 * The flags of the punches stored in the last 24 h (the health snapshot's `flags24h`), kept up to date a
 * bounded chunk at a time instead of counted from scratch on every look: after an outage the window holds
 * the whole backlog, and counting it took the event loop for as long as reading every row of it, on every
 * alarm evaluation and every /api/health.
 *
 * Two passes move the window, both in chunks of `chunkRows` rows: punches stored since the last look (by
 * id, which only grows) are added when they fall inside the window, and punches whose `received` time has
 * left it since (by the received index) are taken off again, if they were looked at before.
 *
 * A retention shorter than a day (`retention.deliveredDays` below 1) would purge punches still inside the
 * window; they stay counted here until they leave it.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Db, Statement } from './store/db.js'

/** rows read per synchronous step: a few ms of the event loop */
export const FLAG_CHUNK_ROWS = 5000

type Row = [id: number, received: number, flags: string]

export class RecentFlags {
  readonly #windowMs: number
  readonly #chunkRows: number
  readonly #byText = new Map<string, number>()
  readonly #maxId: Statement
  readonly #newRows: Statement
  readonly #receivedBelow: Statement
  readonly #flagsFrom: Statement
  /** punches with id up to this have been looked at */
  #lastId = 0
  /**
   * The window's lower edge as a (received, id) key: punches at or below it are out of the counts, punches
   * above it that have been looked at are in.
   */
  #edge: { received: number, id: number } = { received: 0, id: -1 }
  #advancing: Promise<void> | undefined
  #stopped = false

  /**
   * Counts the window as it is now, in one pass over it: at the gateway's start, before it is ready, like
   * the integrity check. Every later move is by chunks.
   */
  constructor (db: Db, windowMs: number, now: number, chunkRows = FLAG_CHUNK_ROWS) {
    this.#windowMs = windowMs
    this.#chunkRows = chunkRows
    this.#maxId = db.prepare('SELECT coalesce(max(id), 0) AS id FROM punches')
    this.#newRows = db.prepare('SELECT id, received, flags FROM punches WHERE id > ? ORDER BY id LIMIT ?').raw(true)
    // Keyset paging over (received, id), the received index's own order.
    this.#receivedBelow = db.prepare(`SELECT id, received, flags FROM punches INDEXED BY punches_received
      WHERE (received, id) > (?, ?) AND received < ? ORDER BY received, id LIMIT ?`).raw(true)
    this.#flagsFrom = db.prepare(`SELECT flags, count(*) AS n FROM punches INDEXED BY punches_received
      WHERE received >= ? AND id <= ? AND flags <> '' GROUP BY flags`)
    this.#firstPass(now - windowMs)
  }

  /** Flag → punches stored in the window carrying it. */
  counts (): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [text, n] of this.#byText) {
      if (n === 0) continue
      for (const f of text.split(',')) out[f] = (out[f] ?? 0) + n
    }
    return out
  }

  /**
   * Moves the window to `now` by at most one chunk of each pass, synchronously; returns whether it got
   * there. For a view that wants fresh figures without waiting.
   */
  step (now: number): boolean {
    if (this.#advancing !== undefined || this.#stopped) return false
    const since = now - this.#windowMs
    return this.#stepNew() && this.#stepExpired(since)
  }

  /** Moves the window to `now()`, a chunk per turn of the event loop. One run at a time; never rejects. */
  async advance (now: () => number): Promise<void> {
    if (this.#advancing !== undefined) return await this.#advancing
    const run = this.#advance(now).finally(() => { this.#advancing = undefined })
    this.#advancing = run
    return await run
  }

  /** No more steps: the database is about to close. A run under way ends at its next turn. */
  stop (): void {
    this.#stopped = true
  }

  async #advance (now: () => number): Promise<void> {
    while (!this.#stopped && !(this.#stepNew() && this.#stepExpired(now() - this.#windowMs))) await nextTurn()
  }

  /** What is in the window now, up to the punches stored so far (later ones come by id): one count. */
  #firstPass (since: number): void {
    const upTo = (this.#maxId.get() as { id: number }).id
    for (const r of this.#flagsFrom.all(since, upTo) as Array<{ flags: string, n: number }>) this.#add(r.flags, r.n)
    this.#lastId = upTo
    this.#edge = { received: since, id: -1 }
  }

  /** Adds one chunk of the punches stored since the last look; true when none are left. */
  #stepNew (): boolean {
    const edge = this.#edge
    const rows = this.#newRows.all(this.#lastId, this.#chunkRows) as Row[]
    for (const [id, received, flags] of rows) {
      this.#lastId = id
      if (flags !== '' && (received > edge.received || (received === edge.received && id > edge.id))) this.#add(flags, 1)
    }
    return rows.length < this.#chunkRows
  }

  /** Takes off one chunk of the punches that left the window; true when the edge has reached `since`. */
  #stepExpired (since: number): boolean {
    const edge = this.#edge
    if (since <= edge.received) return true
    const rows = this.#receivedBelow.all(edge.received, edge.id, since, this.#chunkRows) as Row[]
    for (const [id, received, flags] of rows) {
      this.#edge = { received, id }
      if (flags !== '' && id <= this.#lastId) this.#add(flags, -1)
    }
    if (rows.length === this.#chunkRows) return false
    this.#edge = { received: since, id: -1 }
    return true
  }

  #add (flags: string, n: number): void {
    this.#byText.set(flags, (this.#byText.get(flags) ?? 0) + n)
  }
}
