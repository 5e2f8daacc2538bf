/**
 * The roster in the shared store: the single box's (gateway/store/roster-store.ts) in PostgreSQL, so every
 * node maps badges to the same people. Every change bumps `roster_version`; a node reads the entries again
 * only when it moved (gateway/cluster/node/roster-copy.ts).
 */
import type pg from 'pg'
import { checkEntry, type RosterEntry } from '../../store/roster-store.js'
import { inTransaction } from './pool.js'

export async function rosterVersion (pool: pg.Pool): Promise<number> {
  return (await pool.query<{ version: number }>('SELECT version FROM roster_version')).rows[0].version
}

/** The entries and the version they are at, read in one snapshot. */
export async function readRoster (pool: pg.Pool): Promise<{ version: number, entries: RosterEntry[] }> {
  return await inTransaction(pool, async c => {
    const version = (await c.query<{ version: number }>('SELECT version FROM roster_version')).rows[0].version
    const entries = (await c.query<RosterEntry>('SELECT scope, badge, employee, name, updated FROM roster ORDER BY scope, badge')).rows
    return { version, entries }
  }, 'BEGIN ISOLATION LEVEL REPEATABLE READ')
}

/** Adds or replaces entries in one transaction; refuses them all, naming the first invalid one. */
export async function putRoster (pool: pg.Pool, entries: ReadonlyArray<Omit<RosterEntry, 'updated'>>, now: number): Promise<number> {
  entries.forEach((e, i) => {
    const bad = checkEntry(e)
    if (bad !== undefined) throw new Error(`roster entry ${i + 1}: ${bad}`)
  })
  return await inTransaction(pool, async c => {
    for (const e of entries) {
      await c.query(`INSERT INTO roster (scope, badge, employee, name, updated) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (scope, badge) DO UPDATE SET employee = excluded.employee, name = excluded.name, updated = excluded.updated`,
      [e.scope, e.badge, e.employee, e.name, now])
    }
    await c.query('UPDATE roster_version SET version = version + 1')
    return entries.length
  })
}

/** Removes one entry; false when there was none. */
export async function removeRoster (pool: pg.Pool, scope: string, badge: string): Promise<boolean> {
  return await inTransaction(pool, async c => {
    const gone = await c.query('DELETE FROM roster WHERE scope = $1 AND badge = $2', [scope, badge])
    if (gone.rowCount !== 1) return false
    await c.query('UPDATE roster_version SET version = version + 1')
    return true
  })
}
