/**
 * The audit log: one row per change made through the API or the CLI (who, what, when, on what), written
 * in the same transaction as the change it records, so a change without its row cannot be committed.
 */
import type { Db } from './db.js'

export interface AuditEntry {
  id: number
  at: number
  actor: string
  action: string
  target: string | null
  detail: string | null
}

export interface AuditPage {
  entries: AuditEntry[]
  /** pass as `before` for the next (older) page; absent on the last page */
  next?: number
}

export class AuditLog {
  readonly #db: Db

  constructor (db: Db) {
    this.#db = db
  }

  /** Call inside the transaction of the change it records. */
  record (entry: Omit<AuditEntry, 'id'>): void {
    this.#db.prepare('INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)')
      .run(entry.at, entry.actor, entry.action, entry.target, entry.detail)
  }

  /** Newest first; `before` is an id from a previous page (a stable cursor: ids only grow). */
  page (limit: number, before?: number): AuditPage {
    const rows = this.#db.prepare(`SELECT id, at, actor, action, target, detail FROM audit
      WHERE id < ? ORDER BY id DESC LIMIT ?`).all(before ?? Number.MAX_SAFE_INTEGER, limit + 1) as AuditEntry[]
    const entries = rows.slice(0, limit)
    return rows.length > limit ? { entries, next: entries[entries.length - 1].id } : { entries }
  }
}
