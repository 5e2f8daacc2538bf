/**
 * Sends again the `unmapped` dead letters the shared roster now maps (`roster.unknown` = 'hold' on cluster
 * nodes; docs/DESIGN-NOTES.md, "Held badges on cluster nodes"). One transaction: an advisory lock taken
 * without waiting (a node that finds it taken leaves the work to the holder and asks again later), the
 * roster read inside it, so the scan judges the letters by the roster as it is in the store and not by a
 * node's copy, then the replay, which marks each row replayed only while it is not (dead-letters.ts).
 */
import type pg from 'pg'
import type { RosterEntry } from '../../store/roster-store.js'
import type { PickMapped, UnmappedLetter } from '../unmapped-letters.js'
import { replayOn } from './dead-letters.js'
import { inTransaction } from './pool.js'

/** the first key of this lock: any constant no other advisory lock of ours uses ('hold') */
const RELEASE_LOCK_SPACE = 0x686f6c64

/** most waiting punches looked at per release; the rest are looked at by the next one */
export const RELEASE_SCAN = 100_000

/** Replays the letters `pick` says the roster maps; the roster's version judged and how many, or undefined when another node holds the lock. */
export async function releaseMapped (pool: pg.Pool, pick: PickMapped): Promise<{ version: number, released: number } | undefined> {
  // REPEATABLE READ: the version and the entries are one snapshot; a manual replay of the same rows at
  // the same moment makes this one fail, and it is tried again at the next check.
  return await inTransaction(pool, async c => {
    const locked = (await c.query<{ got: boolean }>('SELECT pg_try_advisory_xact_lock($1::int4, 0) AS got', [RELEASE_LOCK_SPACE])).rows[0].got
    if (!locked) return undefined
    const version = (await c.query<{ version: number }>('SELECT version FROM roster_version')).rows[0].version
    const entries = (await c.query<RosterEntry>('SELECT scope, badge, employee, name, updated FROM roster ORDER BY scope, badge')).rows
    const letters = (await c.query<UnmappedLetter>(`SELECT d.punch_id AS "rowId", p.device AS device, p.emp AS emp
      FROM dead_letters d JOIN punches p ON p.id = d.punch_id
      WHERE d.replayed IS NULL AND d.kind = 'unmapped' ORDER BY d.punch_id LIMIT $1`, [RELEASE_SCAN])).rows
    const ids = letters.length === 0 ? [] : pick({ version, entries }, letters)
    const released = ids.length === 0 ? 0 : await replayOn(c, "kind = 'unmapped' AND punch_id = ANY($1::int8[])", [ids])
    return { version, released }
  }, 'BEGIN ISOLATION LEVEL REPEATABLE READ')
}
