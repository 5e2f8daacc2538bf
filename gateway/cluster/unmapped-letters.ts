/**
 * Punches waiting in the shared dead letters for a roster entry (`roster.unknown` = 'hold' on cluster
 * nodes), and how a node tells which of them the roster maps now: the same Roster lookups its own copy
 * makes (gateway/rules/roster.ts), over the roster as the store read it.
 */
import { Roster } from '../rules/roster.js'
import type { SiteMap } from '../rules/sites.js'
import type { RosterEntry } from '../store/roster-store.js'

export interface UnmappedLetter {
  rowId: number
  device: string
  emp: string
}

export interface RosterSnapshot {
  version: number
  entries: RosterEntry[]
}

/** which of the letters the roster maps now: their row ids */
export type PickMapped = (roster: RosterSnapshot, letters: readonly UnmappedLetter[]) => number[]

export const pickMapped = (sites: SiteMap): PickMapped => (snapshot, letters) => {
  const roster = new Roster({ version: () => snapshot.version, all: () => snapshot.entries })
  return letters.filter(l => roster.lookup(l.device, sites.of(l.device).site, l.emp).employee !== undefined).map(l => l.rowId)
}
