/**
 * Retention: delivered punches older than `retention.deliveredDays` (by when the gateway stored them) are
 * deleted. Delivered means the upstream has it and nothing may still send or show it again:
 *
 * - not past `meta.forward_cursor` (past it: in no batch yet),
 * - not inside any `forward_batches` range (formed, in flight or retrying, replays included),
 * - not in `dead_letters` at all, replayed or not: an operator may still need to read or replay it.
 *
 * Ids are AUTOINCREMENT (migration 1), so a purged id is never handed out again and the forwarder's id
 * ranges stay meaningful. A batch whose rows are all gone is completed without a send (forwarder.ts).
 *
 * Deletes run in chunks of their own transaction with a turn of the event loop between them: ingest runs
 * on the same thread and connection, and a group commit must never wait behind one huge DELETE.
 *
 * Space: db.ts sets no auto_vacuum, so freed pages go to the freelist and new rows fill them before the
 * file grows; the file does not shrink (the storage budget counts pages in use, see storage-usage.ts).
 * A file an operator converted to `auto_vacuum = INCREMENTAL` (offline: PRAGMA auto_vacuum = 2; VACUUM)
 * is also given its pages back to the disk here, a bounded step per chunk. A whole-file VACUUM is never
 * run: it rewrites the file under an exclusive lock and needs as much free disk again.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Transaction } from 'better-sqlite3'
import type { Db, Statement } from './db.js'

export const DAY_MS = 86_400_000

export interface PurgeResult {
  /** punch rows deleted */
  purged: number
  /** transactions they took */
  chunks: number
  /** punches stored before this (ms) were eligible */
  cutoff: number
  /** pages returned to the disk by incremental vacuum (0 unless the file uses auto_vacuum = INCREMENTAL) */
  vacuumedPages: number
}

export interface PurgeOptions {
  /** rows per transaction */
  chunkRows?: number
  /** checked between chunks: the gateway is stopping and the database is about to close */
  stopped?: () => boolean
}

/** sqlite's `PRAGMA auto_vacuum` value for INCREMENTAL */
const AUTO_VACUUM_INCREMENTAL = 2
/** at most this many pages (16 MiB of 4 KiB pages) moved per incremental-vacuum step */
const VACUUM_STEP_PAGES = 4096
export const DEFAULT_CHUNK_ROWS = 5000

export class Retention {
  readonly #db: Db
  readonly #chunk: Statement
  readonly #purgeChunk: Transaction<(cutoff: number, limit: number) => number>

  constructor (db: Db) {
    this.#db = db
    // Oldest first by the received index (migration 3). The cursor is read inside the statement, so it is
    // the value of this transaction; rows that must stay are skipped by the NOT EXISTS probes.
    this.#chunk = db.prepare(`DELETE FROM punches WHERE id IN (
      SELECT p.id FROM punches p INDEXED BY punches_received
      WHERE p.received < ?
        AND p.id <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'forward_cursor')
        AND NOT EXISTS (SELECT 1 FROM forward_batches b WHERE b.first_id <= p.id AND b.last_id >= p.id)
        AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.punch_id = p.id)
      ORDER BY p.received
      LIMIT ?)`)
    this.#purgeChunk = db.transaction((cutoff: number, limit: number) => this.#chunk.run(cutoff, limit).changes)
  }

  /** Deletes up to `limit` purgeable punches stored before `cutoff`, in one transaction; returns how many. */
  purgeChunk (cutoff: number, limit: number): number {
    return this.#purgeChunk.immediate(cutoff, limit)
  }

  /** Purges delivered punches older than `deliveredDays` (0 = keep for ever), chunk by chunk. */
  async purge (deliveredDays: number, now: number, opts: PurgeOptions = {}): Promise<PurgeResult> {
    const cutoff = now - deliveredDays * DAY_MS
    const result: PurgeResult = { purged: 0, chunks: 0, cutoff, vacuumedPages: 0 }
    if (deliveredDays <= 0) return result
    const limit = opts.chunkRows ?? DEFAULT_CHUNK_ROWS
    const incremental = this.#db.pragma('auto_vacuum', { simple: true }) === AUTO_VACUUM_INCREMENTAL
    for (;;) {
      if (opts.stopped?.() === true) break
      const n = this.purgeChunk(cutoff, limit)
      if (n === 0) break
      result.purged += n
      result.chunks++
      if (incremental) result.vacuumedPages += this.#vacuumStep()
      if (n < limit) break
      await nextTurn()
    }
    return result
  }

  #vacuumStep (): number {
    const before = this.#db.pragma('freelist_count', { simple: true }) as number
    if (before === 0) return 0
    this.#db.pragma(`incremental_vacuum(${Math.min(before, VACUUM_STEP_PAGES)})`)
    return before - (this.#db.pragma('freelist_count', { simple: true }) as number)
  }
}
