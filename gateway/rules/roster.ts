/**
 * Roster lookups on the ingest and forward paths: in memory, reloaded when meta.roster_version moves (the
 * CLI changes the roster from another process). The version is read at most once per `checkEveryMs`, so a
 * busy ingest pays one tiny query a second, not one per punch.
 */
import type { RosterEntry, RosterStore } from '../store/roster-store.js'

export interface BadgeLookup {
  /** does the roster have any entry that applies to this device? (if not, the unknown-badge rule is off) */
  configured: boolean
  /** the employee, when an entry maps this badge on this device */
  employee?: string
}

const UNCONFIGURED: BadgeLookup = { configured: false }
const UNKNOWN: BadgeLookup = { configured: true }

/** where the roster's entries come from: the SQLite RosterStore, or a cluster's copy of PostgreSQL's */
export type RosterSource = Pick<RosterStore, 'version' | 'all'>

export class Roster {
  readonly #store: RosterSource
  readonly #now: () => number
  readonly #checkEveryMs: number
  #version = -1
  #checkedAt = -Infinity
  /** scope → badge → employee */
  #byScope = new Map<string, Map<string, string>>()
  readonly #listeners: Array<() => void> = []

  constructor (store: RosterSource, opts: { now?: () => number, checkEveryMs?: number } = {}) {
    this.#store = store
    this.#now = opts.now ?? Date.now
    this.#checkEveryMs = opts.checkEveryMs ?? 1000
    this.refresh(true)
  }

  /** Calls `fn` after each reload that follows a change (not the first load). */
  onChange (fn: () => void): void {
    this.#listeners.push(fn)
  }

  /** Reloads when the stored version moved; `force` skips the rate limit. Returns true when it reloaded. */
  refresh (force = false): boolean {
    const now = this.#now()
    if (!force && now - this.#checkedAt < this.#checkEveryMs) return false
    this.#checkedAt = now
    const v = this.#store.version()
    if (v === this.#version) return false
    const first = this.#version === -1
    this.#version = v
    this.#load(this.#store.all())
    if (!first) for (const fn of this.#listeners) fn()
    return true
  }

  get size (): number {
    let n = 0
    for (const m of this.#byScope.values()) n += m.size
    return n
  }

  lookup (device: string, site: string, badge: string): BadgeLookup {
    this.refresh()
    if (this.#byScope.size === 0) return UNCONFIGURED
    const d = this.#byScope.get('device:' + device)
    const s = site === '' ? undefined : this.#byScope.get('site:' + site)
    const all = this.#byScope.get('*')
    if (d === undefined && s === undefined && all === undefined) return UNCONFIGURED
    const employee = d?.get(badge) ?? s?.get(badge) ?? all?.get(badge)
    return employee === undefined ? UNKNOWN : { configured: true, employee }
  }

  #load (entries: RosterEntry[]): void {
    const byScope = new Map<string, Map<string, string>>()
    for (const e of entries) {
      let m = byScope.get(e.scope)
      if (m === undefined) byScope.set(e.scope, m = new Map())
      m.set(e.badge, e.employee)
    }
    this.#byScope = byScope
  }
}
