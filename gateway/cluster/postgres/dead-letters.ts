/**
 * Poison isolation on the shared outbox: what the single box's forwarder does when the upstream refuses a
 * batch for good (gateway/forward/forwarder.ts; docs/ARCHITECTURE.md, decision 7), on claims. A batch
 * with a record the upstream refuses is split in two halves, each a new batch under a new key (a different
 * set of punches must not reuse the whole's key), due at once and claimed like any other; a batch of one
 * refused punch is parked in dead letters and leaves the outbox. Both act only while the caller's claim
 * still holds the batch (its lease not run out): a node whose lease ran out cannot split or park a batch
 * another node is sending.
 *
 * A replay puts a dead letter's punch back in the outbox, unbatched: the next claim takes it with others,
 * and if the upstream refuses it again it is isolated again.
 */
import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import type { DeadLetter, DeadLetterKind } from '../../store/forward-store.js'
import { MAX_ERROR_CHARS, type ClaimedBatch } from '../cluster-store.js'
import { inTransaction } from './pool.js'

const NOW = '(extract(epoch FROM statement_timestamp()) * 1000)::int8'

/** the batch, locked, while this claim holds it */
const HELD = `SELECT key FROM forward_batches WHERE key = $1 AND claim = $2 AND lease_until > ${NOW} FOR UPDATE`
const HALF = `INSERT INTO forward_batches (key, first_id, attempts, next_at, created) VALUES ($1, $2, 0, ${NOW}, ${NOW})`

/** Splits the held batch in two new batches; 0 when it holds a single punch (park it), undefined when the claim is lost. */
export async function splitBatch (pool: pg.Pool, batch: ClaimedBatch): Promise<number | undefined> {
  return await inTransaction(pool, async c => {
    if ((await c.query(HELD, [batch.key, batch.claim])).rowCount !== 1) return undefined
    const ids = (await c.query<{ punch_id: number }>('SELECT punch_id FROM outbox WHERE batch = $1 ORDER BY punch_id', [batch.key])).rows.map(r => r.punch_id)
    if (ids.length < 2) return 0
    const mid = Math.floor(ids.length / 2)
    for (const half of [ids.slice(0, mid), ids.slice(mid)]) {
      const key = randomUUID()
      await c.query(HALF, [key, half[0]])
      await c.query('UPDATE outbox SET batch = $1 WHERE batch = $2 AND punch_id = ANY($3::int8[])', [key, batch.key, half])
    }
    await c.query('DELETE FROM forward_batches WHERE key = $1', [batch.key])
    return 2
  })
}

export interface DeadLetterOptions {
  status: number | null
  reason: string
  kind: DeadLetterKind
  node: string
}

/** Parks the held batch's punches in dead letters and drops the batch; how many, or undefined when the claim is lost. */
export async function deadLetterBatch (pool: pg.Pool, batch: ClaimedBatch, o: DeadLetterOptions): Promise<number | undefined> {
  return await inTransaction(pool, async c => {
    if ((await c.query(HELD, [batch.key, batch.claim])).rowCount !== 1) return undefined
    const parked = await c.query(`INSERT INTO dead_letters (punch_id, status, reason, at, kind, node, replayed)
      SELECT punch_id, $2, $3, ${NOW}, $4, $5, NULL FROM outbox WHERE batch = $1
      ON CONFLICT (punch_id) DO UPDATE SET status = excluded.status, reason = excluded.reason, at = excluded.at,
        kind = excluded.kind, node = excluded.node, replayed = NULL`,
    [batch.key, o.status, o.reason.slice(0, MAX_ERROR_CHARS), o.kind, o.node])
    await c.query('DELETE FROM outbox WHERE batch = $1', [batch.key])
    await c.query('DELETE FROM forward_batches WHERE key = $1', [batch.key])
    return parked.rowCount ?? 0
  })
}

export interface ParkOptions {
  reason: string
  node: string
  /** the roster version the node judged these punches by */
  rosterVersion: number
}

/**
 * Parks punches of the held batch that wait for a roster entry (`roster.unknown` = 'hold') as `unmapped`
 * dead letters and takes them out of the batch, which keeps its key for the rest: as on the single box, a
 * parked punch comes back only by a replay, in a new batch under a new key. How many, undefined when
 * the claim is lost, 'roster-moved' when the shared roster is no longer the one the node judged by.
 */
export async function parkInBatch (pool: pg.Pool, batch: ClaimedBatch, ids: readonly number[], o: ParkOptions): Promise<number | undefined | 'roster-moved'> {
  return await inTransaction(pool, async c => {
    if ((await c.query(HELD, [batch.key, batch.claim])).rowCount !== 1) return undefined
    // The roster the node judged by must still be the store's, and stays so until this commits (a roster
    // change waits for the share lock): a change after it sees these letters and replays what it maps.
    // Without it a node's copy, up to two seconds old, could park a punch just after the releaser looked
    // for the entry that maps it, and the punch would wait for the next change.
    const now = (await c.query<{ version: number }>('SELECT version FROM roster_version FOR SHARE')).rows[0].version
    if (now !== o.rosterVersion) return 'roster-moved'
    const taken = await c.query<{ punch_id: number }>('DELETE FROM outbox WHERE batch = $1 AND punch_id = ANY($2::int8[]) RETURNING punch_id', [batch.key, [...ids]])
    await c.query(`INSERT INTO dead_letters (punch_id, status, reason, at, kind, node, replayed)
      SELECT unnest($1::int8[]), NULL, $2, ${NOW}, 'unmapped', $3, NULL
      ON CONFLICT (punch_id) DO UPDATE SET status = NULL, reason = excluded.reason, at = excluded.at,
        kind = 'unmapped', node = excluded.node, replayed = NULL`,
    [taken.rows.map(r => r.punch_id), o.reason.slice(0, MAX_ERROR_CHARS), o.node])
    return taken.rowCount ?? 0
  })
}

/** Dead letters not replayed, oldest first, in the single box's shape (`punchline deadletters list`). */
export async function listDeadLetters (pool: pg.Pool, limit: number): Promise<DeadLetter[]> {
  const res = await pool.query<DeadLetter>(`SELECT d.punch_id AS "rowId", COALESCE(p.source_id, p.device || ':' || p.epoch || ':' || p.seq) AS punch,
      p.emp AS emp, p.ts AS ts, d.status AS status, d.reason AS reason, d.at AS at, d.kind AS kind
    FROM dead_letters d JOIN punches p ON p.id = d.punch_id
    WHERE d.replayed IS NULL ORDER BY d.at, d.punch_id LIMIT $1`, [limit])
  return res.rows
}

/** Dead letters not replayed, by kind, as the single box's health snapshot counts them (the alarm's evidence). */
export async function openDeadLetters (pool: pg.Pool): Promise<Record<string, number>> {
  const res = await pool.query<{ kind: string, n: number }>('SELECT kind, count(*)::int AS n FROM dead_letters WHERE replayed IS NULL GROUP BY kind')
  return Object.fromEntries(res.rows.map(r => [r.kind, r.n]))
}

/** Puts dead letters back in the outbox (all, those of a kind, or by punch row id); how many. */
export async function replayDeadLetters (pool: pg.Pool, which: readonly number[] | 'all' | DeadLetterKind): Promise<number> {
  return await inTransaction(pool, async c => {
    const filter = which === 'all' ? ['TRUE', []] : typeof which === 'string' ? ['kind = $1', [which]] : ['punch_id = ANY($1::int8[])', [[...which]]]
    return await replayOn(c, filter[0] as string, filter[1] as unknown[])
  })
}

/**
 * The replay itself, on the caller's transaction: a dead letter is marked replayed only while it is not
 * (a concurrent replay of the same row waits for the first and then finds it replayed), so a row goes
 * back to the outbox once.
 */
export async function replayOn (c: pg.ClientBase, where: string, params: unknown[]): Promise<number> {
  const picked = await c.query<{ punch_id: number }>(`UPDATE dead_letters SET replayed = ${NOW}
    WHERE replayed IS NULL AND ${where} RETURNING punch_id`, params)
  const ids = picked.rows.map(r => r.punch_id)
  await c.query('INSERT INTO outbox (punch_id) SELECT unnest($1::int8[]) ON CONFLICT DO NOTHING', [ids])
  return ids.length
}
