/**
 * The roster: badge/card/PIN/template id, as a device saw it, to employee, per scope. Scopes are
 * 'device:<id>', 'site:<id>' and '*' (everywhere); the narrowest scope that knows a badge wins, so the same
 * PIN on two terminals maps to two people when each terminal has its own entry. Every change bumps
 * meta.roster_version, which a running gateway watches to reload (the CLI edits the file from another
 * process).
 */
import { MetaInteger, type Db, type Statement } from './db.js'

export interface RosterEntry {
  scope: string
  badge: string
  employee: string
  name: string | null
  updated: number
}

const SCOPE = /^(\*|device:[A-Za-z0-9_-]{1,64}|site:[A-Za-z0-9_.-]{1,64})$/

/** The reason a scope is not valid, or undefined. */
export function checkScope (scope: string): string | undefined {
  return SCOPE.test(scope) ? undefined : `scope: must be '*', 'device:<id>' or 'site:<id>' (got '${scope}')`
}

export function checkEntry (e: { scope: string, badge: string, employee: string }): string | undefined {
  const scope = checkScope(e.scope)
  if (scope !== undefined) return scope
  if (e.badge.length < 1 || e.badge.length > 64) return 'badge: must be 1..64 characters'
  if (e.employee.length < 1 || e.employee.length > 140) return 'employee: must be 1..140 characters'
  return undefined
}

export class RosterStore {
  readonly #db: Db
  readonly #version: MetaInteger
  readonly #upsert: Statement

  constructor (db: Db) {
    this.#db = db
    this.#version = new MetaInteger(db, 'roster_version')
    this.#upsert = db.prepare(`INSERT INTO roster (scope, badge, employee, name, updated) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (scope, badge) DO UPDATE SET employee = excluded.employee, name = excluded.name, updated = excluded.updated`)
  }

  /** Tells running gateways the roster changed (they reload within a second); inside the caller's transaction. */
  touch (): void {
    this.#version.bump()
  }

  version (): number {
    return this.#version.get()
  }

  all (): RosterEntry[] {
    return this.#db.prepare('SELECT scope, badge, employee, name, updated FROM roster ORDER BY scope, badge').all() as RosterEntry[]
  }

  /** Adds or replaces entries in one transaction; throws on the first invalid one, naming it. */
  put (entries: ReadonlyArray<Omit<RosterEntry, 'updated'>>, now: number): number {
    return this.#db.transaction((): number => {
      entries.forEach((e, i) => {
        const problem = checkEntry(e)
        if (problem !== undefined) throw new Error(entries.length > 1 ? `entry ${i + 1}: ${problem}` : problem)
        this.#upsert.run(e.scope, e.badge, e.employee, e.name, now)
      })
      if (entries.length > 0) this.#version.bump()
      return entries.length
    }).immediate()
  }

  remove (scope: string, badge: string): boolean {
    return this.#db.transaction((): boolean => {
      const gone = this.#db.prepare('DELETE FROM roster WHERE scope = ? AND badge = ?').run(scope, badge).changes === 1
      if (gone) this.#version.bump()
      return gone
    }).immediate()
  }
}
