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

/** 24 random bytes, base64url: what `punchline devices add` prints when no --secret is given. */
export function newDeviceSecret (): string {
  return randomBytes(24).toString('base64url')
}

function digestOf (secret: string): Buffer {
  return createHash('sha256').update(secret).digest()
}

/** A hash in the stored format, with the current parameters, of no secret (its key is random bytes). */
const UNMATCHABLE_HASH = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${randomBytes(16).toString('base64')}$${randomBytes(SCRYPT.keylen).toString('base64')}`

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
   * secret changed or a device removed from another process takes effect at once. At most one entry
   * per registered device (only a verified secret is kept).
   */
  readonly #verified = new Map<string, { stored: string, digest: Buffer }>()
  /**
   * Last-seen times and statuses not yet written, latest per device. They are bookkeeping, written in one
   * transaction by flush() (the gateway calls it every ACTIVITY_FLUSH_MS, gateway/life/running.ts): a
   * transaction each would cost 10,000 fsyncs when a site's 10,000 devices reconnect together, and 166 a
   * second for their statuses, one a minute each. At most one entry per device. A crash loses at most the
   * last flush interval of them, never a punch.
   */
  readonly #activity = new Map<string, { seen: number, status?: string }>()
  readonly #flushActivity: () => void
  /**
   * Devices removed by this process: the last will their closed session still publishes must not bring
   * their row back. A device that connects again (allowed anonymous devices) or is added again is back.
   */
  readonly #removed = new Set<string>()

  constructor (db: Db) {
    this.#db = db
    this.#get = db.prepare('SELECT id, secret_hash, created, last_seen, status FROM devices WHERE id = ?')
    this.#seen = db.prepare(`INSERT INTO devices (id, created, last_seen) VALUES (?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen`)
    this.#status = db.prepare(`INSERT INTO devices (id, created, last_seen, status) VALUES (?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen, status = excluded.status`)
    const flush = db.transaction(() => {
      for (const [id, a] of this.#activity) {
        if (a.status === undefined) this.#seen.run(id, a.seen, a.seen)
        else this.#status.run(id, a.seen, a.seen, a.status)
      }
    })
    this.#flushActivity = () => flush.immediate()
  }

  /** Registers a device (or replaces its secret) and returns the secret to hand to the device. */
  async add (id: string, secret: string = newDeviceSecret(), now: number = Date.now()): Promise<string> {
    await this.setSecret(id, secret, now, 'any')
    return secret
  }

  /**
   * Sets a device's secret, in one transaction with `also` (the change's audit row). `when` says which
   * devices it applies to: 'new' (none with a secret yet: 'exists' otherwise; one seen anonymously gets
   * one), 'existing' (a registered device: 'missing' otherwise), or 'any'. A login remembered with the old
   * secret is forgotten at once (matchesVerified would also see the hash change at the next connect).
   */
  async setSecret (id: string, secret: string, now: number, when: 'new' | 'existing' | 'any', also?: () => void): Promise<'set' | 'exists' | 'missing'> {
    const hash = await hashSecret(secret)
    return this.#db.transaction(() => {
      const row = this.#get.get(id) as { secret_hash: string | null } | undefined
      if (when === 'new' && row?.secret_hash != null) return 'exists' as const
      if (when === 'existing' && row === undefined) return 'missing' as const
      this.#db.prepare(`INSERT INTO devices (id, secret_hash, created) VALUES (?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET secret_hash = excluded.secret_hash`).run(id, hash, now)
      this.#verified.delete(id)
      this.#removed.delete(id)
      also?.()
      return 'set' as const
    }).immediate()
  }

  /** Removes a device from the registry, in one transaction with `also`; its stored punches stay. */
  remove (id: string, also?: () => void): boolean {
    this.#activity.delete(id)
    this.#verified.delete(id)
    return this.#db.transaction(() => {
      const removed = this.#db.prepare('DELETE FROM devices WHERE id = ?').run(id).changes === 1
      if (removed) {
        this.#removed.add(id)
        also?.()
      }
      return removed
    }).immediate()
  }

  /**
   * Whether `secret` is the one verified earlier for this device against the hash it still has (a
   * sha256 compare, no scrypt). A secret changed or a device removed, from this process or another
   * (`punchline devices add ID --secret`), no longer matches: the stored hash is re-read each time.
   */
  matchesVerified (id: string, secret: string): boolean {
    const cached = this.#verified.get(id)
    if (cached === undefined) return false
    const row = this.#get.get(id) as { secret_hash: string | null } | undefined
    if (row?.secret_hash !== cached.stored) {
      this.#verified.delete(id)
      return false
    }
    return timingSafeEqual(cached.digest, digestOf(secret))
  }

  /**
   * Checks `secret` with scrypt, and remembers it for matchesVerified() when it is right. An unknown id,
   * or a device without a secret, is checked against a hash no secret matches, at the same cost: how
   * long a refusal takes does not tell which ids exist.
   */
  async verify (id: string, secret: string): Promise<boolean> {
    if (this.matchesVerified(id, secret)) return true
    const row = this.#get.get(id) as { secret_hash: string | null } | undefined
    const stored = row?.secret_hash
    if (stored == null) {
      await verifySecret(secret, UNMATCHABLE_HASH)
      return false
    }
    const ok = await verifySecret(secret, stored)
    if (ok) this.#verified.set(id, { stored, digest: digestOf(secret) })
    return ok
  }

  /** The device connected now; written at the next flush(). */
  seen (id: string, now: number): void {
    this.#removed.delete(id)
    const a = this.#activity.get(id)
    if (a === undefined) this.#activity.set(id, { seen: now })
    else a.seen = now
  }

  /** The device's latest status; written at the next flush(). */
  saveStatus (id: string, status: DeviceStatus, now: number): void {
    if (this.#removed.has(id)) return
    const text = JSON.stringify(status)
    const a = this.#activity.get(id)
    if (a === undefined) this.#activity.set(id, { seen: now, status: text })
    else { a.seen = now; a.status = text }
  }

  /** Writes what seen() and saveStatus() hold, in one transaction; returns how many devices. Throws on a write error and keeps them. */
  flush (): number {
    const n = this.#activity.size
    if (n === 0) return 0
    this.#flushActivity()
    this.#activity.clear()
    return n
  }

  get (id: string): DeviceRow | undefined {
    const r = this.#get.get(id) as StoredRow | undefined
    return r === undefined ? undefined : this.#row(r)
  }

  list (): DeviceRow[] {
    const rows = this.#db.prepare('SELECT id, secret_hash, created, last_seen, status FROM devices ORDER BY id').all() as StoredRow[]
    return rows.map(r => this.#row(r))
  }

  /** A stored row with what this store was told since the last flush (a device first seen since has no row yet). */
  #row (r: StoredRow): DeviceRow {
    const a = this.#activity.get(r.id)
    return toRow(a === undefined ? r : { ...r, last_seen: a.seen, status: a.status ?? r.status })
  }
}

interface StoredRow { id: string, secret_hash: string | null, created: number, last_seen: number | null, status: string | null }

function toRow (r: StoredRow): DeviceRow {
  return {
    id: r.id,
    created: r.created,
    lastSeen: r.last_seen,
    status: r.status === null ? null : JSON.parse(r.status) as DeviceStatus,
    hasSecret: r.secret_hash !== null
  }
}
