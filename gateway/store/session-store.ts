/**
 * Browser sessions of operators. The cookie carries 32 random bytes; the table keeps their SHA-256, so a
 * copy of the database (a backup) opens no session. Each session has its own CSRF token, which a
 * state-changing request sends back in a header (gateway/http/v1/auth.ts).
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Db } from './db.js'
import type { Role } from './operator-store.js'

const SESSION_BYTES = 32
const CSRF_BYTES = 24

export interface Session {
  operator: string
  role: Role
  csrf: string
  expires: number
}

/** What the table keeps of a session id. */
export function sessionDigest (id: string): Buffer {
  return createHash('sha256').update(id).digest()
}

export class SessionStore {
  readonly #db: Db

  constructor (db: Db) {
    this.#db = db
  }

  /** Opens a session; returns the cookie's value (shown to this browser only) and its CSRF token. */
  open (operator: string, now: number, ttlMs: number): { id: string, csrf: string, expires: number } {
    const id = randomBytes(SESSION_BYTES).toString('base64url')
    const csrf = randomBytes(CSRF_BYTES).toString('base64url')
    const expires = now + ttlMs
    this.#db.transaction(() => {
      // Expired sessions go as new ones come: the table stays as small as the live sessions.
      this.#db.prepare('DELETE FROM sessions WHERE expires <= ?').run(now)
      this.#db.prepare('INSERT INTO sessions (id_hash, operator, csrf, created, expires) VALUES (?, ?, ?, ?, ?)').run(sessionDigest(id), operator, csrf, now, expires)
    }).immediate()
    return { id, csrf, expires }
  }

  /** The live session of an enabled operator this cookie value opens, or undefined. */
  find (id: string, now: number): Session | undefined {
    return this.#db.prepare(`SELECT s.operator, o.role, s.csrf, s.expires FROM sessions s JOIN operators o ON o.name = s.operator
      WHERE s.id_hash = ? AND s.expires > ? AND o.disabled IS NULL`).get(sessionDigest(id), now) as Session | undefined
  }

  close (id: string): void {
    this.#db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(sessionDigest(id))
  }
}
