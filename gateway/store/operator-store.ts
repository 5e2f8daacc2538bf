/**
 * Who may use the HTTP API: operators (a person, a password, a role) and API tokens (an integration, a
 * random token, a role). Passwords are kept as scrypt hashes with their parameters (the device secrets'
 * format, device-store.ts); a token only as its SHA-256, which is enough for 256 random bits and lets a
 * request find its token with one index probe. Every change writes its audit row in the same transaction.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Db } from './db.js'
import { AuditLog } from './audit-log.js'
import { hashSecret, verifySecret } from './device-store.js'

export const ROLES = ['admin', 'hr', 'viewer'] as const
export type Role = typeof ROLES[number]

/** A name an operator types and an audit row shows: short, no spaces or control characters. */
export const OPERATOR_NAME_PATTERN = '^[A-Za-z0-9._@-]{1,64}$'
const NAME = new RegExp(OPERATOR_NAME_PATTERN)

/** 18 random bytes: 24 base64url characters, typed once and then changed (docs/OPERATIONS.md, "Operators, roles and API tokens"). */
const FIRST_PASSWORD_BYTES = 18
const TOKEN_BYTES = 32
/** Marks a string as a punchline API token (secret scanners and people can tell it from the site token). */
export const TOKEN_PREFIX = 'plt_'

export interface OperatorRow {
  name: string
  role: Role
  created: number
  disabled: number | null
}

export interface TokenRow {
  name: string
  role: Role
  created: number
  createdBy: string
  disabled: number | null
}

/** Who did a change, for its audit row. */
export interface Actor {
  name: string
  now: number
}

export function isRole (role: unknown): role is Role {
  return typeof role === 'string' && (ROLES as readonly string[]).includes(role)
}

export function checkOperatorName (name: unknown, what: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) throw new Error(`${what}: NAME must match ${OPERATOR_NAME_PATTERN}`)
  return name
}

export function checkRole (role: unknown, what: string): Role {
  if (!isRole(role)) throw new Error(`${what}: --role must be one of ${ROLES.join(', ')}`)
  return role
}

function tokenDigest (token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

export class OperatorStore {
  readonly #db: Db
  readonly audit: AuditLog

  constructor (db: Db) {
    this.#db = db
    this.audit = new AuditLog(db)
  }

  /** Adds an operator with a generated first password and returns it: it is shown once, never stored. */
  async add (name: string, role: Role, by: Actor): Promise<string> {
    const password = randomBytes(FIRST_PASSWORD_BYTES).toString('base64url')
    const hash = await hashSecret(password)
    this.#db.transaction(() => {
      const exists = this.#db.prepare('SELECT 1 FROM operators WHERE name = ?').get(name)
      if (exists !== undefined) throw new OperatorExists(`operator ${name} exists already`)
      this.#db.prepare('INSERT INTO operators (name, role, password_hash, created) VALUES (?, ?, ?, ?)').run(name, role, hash, by.now)
      this.audit.record({ at: by.now, actor: by.name, action: 'operator.add', target: name, detail: `role ${role}` })
    }).immediate()
    return password
  }

  /**
   * Sets an operator's password and ends their sessions but `keepSession` (a digest, the one that made the
   * change); with no password given, makes one and returns it (a reset, shown once). False when there is
   * no such operator enabled.
   */
  async setPassword (name: string, by: Actor, password?: string, keepSession?: Buffer): Promise<string | false> {
    const chosen = password ?? randomBytes(FIRST_PASSWORD_BYTES).toString('base64url')
    const hash = await hashSecret(chosen)
    const done = this.#db.transaction(() => {
      const changed = this.#db.prepare('UPDATE operators SET password_hash = ? WHERE name = ? AND disabled IS NULL').run(hash, name).changes
      if (changed === 0) return false
      this.#db.prepare('DELETE FROM sessions WHERE operator = ? AND id_hash IS NOT ?').run(name, keepSession ?? null)
      this.audit.record({ at: by.now, actor: by.name, action: password === undefined ? 'operator.password-reset' : 'operator.password', target: name, detail: null })
      return true
    }).immediate()
    return done ? chosen : false
  }

  list (): OperatorRow[] {
    return this.#db.prepare('SELECT name, role, created, disabled FROM operators ORDER BY name').all() as OperatorRow[]
  }

  enabledAdmins (): number {
    return (this.#db.prepare("SELECT count(*) AS n FROM operators WHERE role = 'admin' AND disabled IS NULL").get() as { n: number }).n
  }

  get (name: string): OperatorRow | undefined {
    return this.#db.prepare('SELECT name, role, created, disabled FROM operators WHERE name = ?').get(name) as OperatorRow | undefined
  }

  /** Disables an operator and ends their sessions; false when there is no such operator enabled. */
  disable (name: string, by: Actor): boolean {
    return this.#db.transaction(() => {
      const changed = this.#db.prepare('UPDATE operators SET disabled = ? WHERE name = ? AND disabled IS NULL').run(by.now, name).changes
      if (changed === 0) return false
      this.#db.prepare('DELETE FROM sessions WHERE operator = ?').run(name)
      this.audit.record({ at: by.now, actor: by.name, action: 'operator.disable', target: name, detail: null })
      return true
    }).immediate()
  }

  /**
   * The enabled operator whose password this is, or undefined. An unknown or disabled name costs the same
   * scrypt as a wrong password, so the time taken does not tell which names exist.
   */
  async checkPassword (name: string, password: string): Promise<OperatorRow | undefined> {
    const row = this.#db.prepare('SELECT name, role, created, disabled, password_hash AS hash FROM operators WHERE name = ?')
      .get(name) as (OperatorRow & { hash: string }) | undefined
    const ok = await verifySecret(password, row?.hash ?? await unmatchableHash())
    if (!ok || row === undefined || row.disabled !== null) return undefined
    return { name: row.name, role: row.role, created: row.created, disabled: row.disabled }
  }

  /** Adds an API token for an integration and returns it: shown once, only its digest is kept. */
  addToken (name: string, role: Role, by: Actor): string {
    const token = TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url')
    this.#db.transaction(() => {
      const exists = this.#db.prepare('SELECT 1 FROM api_tokens WHERE name = ?').get(name)
      if (exists !== undefined) throw new OperatorExists(`token ${name} exists already`)
      this.#db.prepare('INSERT INTO api_tokens (name, role, token_hash, created, created_by) VALUES (?, ?, ?, ?, ?)')
        .run(name, role, tokenDigest(token), by.now, by.name)
      this.audit.record({ at: by.now, actor: by.name, action: 'token.add', target: name, detail: `role ${role}` })
    }).immediate()
    return token
  }

  listTokens (): TokenRow[] {
    return this.#db.prepare('SELECT name, role, created, created_by AS createdBy, disabled FROM api_tokens ORDER BY name').all() as TokenRow[]
  }

  disableToken (name: string, by: Actor): boolean {
    return this.#db.transaction(() => {
      const changed = this.#db.prepare('UPDATE api_tokens SET disabled = ? WHERE name = ? AND disabled IS NULL').run(by.now, name).changes
      if (changed === 0) return false
      this.audit.record({ at: by.now, actor: by.name, action: 'token.disable', target: name, detail: null })
      return true
    }).immediate()
  }

  /** The enabled token this string is, or undefined. */
  findToken (token: string): { name: string, role: Role } | undefined {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined
    return this.#db.prepare('SELECT name, role FROM api_tokens WHERE token_hash = ? AND disabled IS NULL')
      .get(tokenDigest(token)) as { name: string, role: Role } | undefined
  }
}

/** A hash no password matches (its key is random), checked when the name is unknown; made at first need. */
let unmatchable: Promise<string> | undefined
async function unmatchableHash (): Promise<string> {
  unmatchable ??= hashSecret(randomBytes(32).toString('base64url'))
  return await unmatchable
}

export class OperatorExists extends Error {}
