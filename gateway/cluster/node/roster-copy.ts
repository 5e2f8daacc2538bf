/**
 * A node's copy of the shared roster, for the single box's Roster (gateway/rules/roster.ts), which reads
 * its source synchronously inside the rules step. The copy is fetched from PostgreSQL when the version
 * there moved, checked every ROSTER_CHECK_MS; Roster then reloads from it as it does from SQLite. A change
 * reaches every node within about two seconds (this check, then Roster's own once a second).
 */
import type { RosterEntry } from '../../store/roster-store.js'
import type { RosterSource } from '../../rules/roster.js'

/** how often a node asks the shared store whether the roster changed */
export const ROSTER_CHECK_MS = 1000

export interface SharedRoster {
  rosterVersion: () => Promise<number>
  readRoster: () => Promise<{ version: number, entries: RosterEntry[] }>
}

export class RosterCopy implements RosterSource {
  #version = 0
  #entries: RosterEntry[] = []

  version (): number {
    return this.#version
  }

  all (): RosterEntry[] {
    return this.#entries
  }

  /** Fetches the entries again when the shared version moved; true when it did. */
  async refresh (from: SharedRoster): Promise<boolean> {
    if (await from.rosterVersion() === this.#version && this.#version !== 0) return false
    const { version, entries } = await from.readRoster()
    this.#entries = entries
    this.#version = version
    return true
  }
}
