/**
 * Device registry and credentials. Secrets are stored as scrypt hashes with their parameters, so the cost
 * can be raised later without invalidating existing devices; a secret is never stored or logged in clear.
 */
import { randomBytes, scrypt as scryptCb, createHash, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import type { Db, Statement } from './db.js'
import type { DeviceStatus } from '../../shared/codec/status.js'

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 }

function scrypt (secret: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(secret, salt, keylen, opts, (err, key) => { if (err != null) reject(err); else resolve(key) })
  })
}

export async function hashSecret (secret: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await scrypt(secret, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p })
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`
}

export async function verifySecret (secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [, N, r, p, salt, hash] = parts
  const expected = Buffer.from(hash, 'base64')
  const key = await scrypt(secret, Buffer.from(salt, 'base64'), expected.length, { N: Number(N), r: Number(r), p: Number(p), maxmem: 256 * 1024 * 1024 })
  return key.length === expected.length && timingSafeEqual(key, expected)
}

export interface DeviceRow {
  id: string
  created: number
  lastSeen: number | null
  status: DeviceStatus | null
  hasSecret: boolean
}

export class DeviceStore {
  readonly #db: Db
  readonly #get: Statement
  readonly #seen: Statement
  readonly #status: Statement
  /**
   * id → (stored hash, sha256 of the secret that verified against it). A thundering herd of reconnecting
   * devices would otherwise cost one scrypt each; the stored hash is re-read on every connect, so a
   * secret changed or a device removed from another process takes effect at once.
   */
  readonly #verified = new Map<string, { stored: string, digest: Buffer }>()

  constructor (db: Db) {
    this.#db = db
    this.#get = db.prepare('SELECT id, secret_hash, created, last_seen, status FROM devices WHERE id = ?')
    this.#seen = db.prepare(`INSERT INTO devices (id, created, last_seen) VALUES (?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen`)
    this.#status = db.prepare(`INSERT INTO devices (id, created, last_seen, status) VALUES (?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen, status = excluded.status`)
  }

  /** Registers a device (or replaces its secret) and returns the secret to hand to the device. */
  async add (id: string, secret: string = randomBytes(24).toString('base64url'), now: number = Date.now()): Promise<string> {
    const hash = await hashSecret(secret)
    this.#db.prepare(`INSERT INTO devices (id, secret_hash, created) VALUES (?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET secret_hash = excluded.secret_hash`).run(id, hash, now)
    return secret
  }

  remove (id: string): boolean {
    return this.#db.prepare('DELETE FROM devices WHERE id = ?').run(id).changes === 1
  }

  async verify (id: string, secret: string): Promise<boolean> {
    const row = this.#get.get(id) as { secret_hash: string | null } | undefined
    const stored = row?.secret_hash
    if (stored == null) return false
    const digest = createHash('sha256').update(secret).digest()
    const cached = this.#verified.get(id)
    if (cached !== undefined && cached.stored === stored) return timingSafeEqual(cached.digest, digest)
    const ok = await verifySecret(secret, stored)
    if (ok) this.#verified.set(id, { stored, digest })
    return ok
  }

  seen (id: string, now: number): void {
    this.#seen.run(id, now, now)
  }

  saveStatus (id: string, status: DeviceStatus, now: number): void {
    this.#status.run(id, now, now, JSON.stringify(status))
  }

  get (id: string): DeviceRow | undefined {
    const r = this.#get.get(id) as { id: string, secret_hash: string | null, created: number, last_seen: number | null, status: string | null } | undefined
    return r === undefined ? undefined : toRow(r)
  }

  list (): DeviceRow[] {
    const rows = this.#db.prepare('SELECT id, secret_hash, created, last_seen, status FROM devices ORDER BY id').all() as Array<{ id: string, secret_hash: string | null, created: number, last_seen: number | null, status: string | null }>
    return rows.map(toRow)
  }
}

function toRow (r: { id: string, secret_hash: string | null, created: number, last_seen: number | null, status: string | null }): DeviceRow {
  return {
    id: r.id,
    created: r.created,
    lastSeen: r.last_seen,
    status: r.status === null ? null : JSON.parse(r.status) as DeviceStatus,
    hasSecret: r.secret_hash !== null
  }
}
