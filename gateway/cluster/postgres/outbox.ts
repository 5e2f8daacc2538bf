/**
 * The shared outbox's claims (docs/DESIGN-NOTES.md, "Cluster mode: the shared store"). A claim is one
 * short transaction: it takes the oldest batch due again (released, or its lease ran out), or else forms
 * a new batch of outbox rows no batch holds; either way with `FOR UPDATE SKIP LOCKED`, so a claimer
 * passes over rows another is claiming at that moment instead of waiting for them or taking them too.
 * What the claim then holds through the delivery is a lease on the batch's row (`lease_until`, on the
 * database's clock, so the nodes' own clocks never matter), not an open transaction: a node that dies
 * holds nothing but a lease that runs out, and the next claim gets the batch with its key.
 */
import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import { STORED_COLUMNS, storedPunch, type StoredRow } from '../../store/punch-store.js'
import { MAX_ERROR_CHARS, type ClaimedBatch, type ClaimOptions, type ReleaseOptions } from '../cluster-store.js'
import { inTransaction } from './pool.js'

/** the database's clock in ms, the same for every node; fixed within a statement */
const NOW = '(extract(epoch FROM statement_timestamp()) * 1000)::int8'

const CLAIM_DUE = `
  UPDATE forward_batches b SET claim = $1, owner = $2, lease_until = ${NOW} + $3
  WHERE b.key = (
    SELECT key FROM forward_batches
    WHERE next_at <= ${NOW} AND (lease_until IS NULL OR lease_until <= ${NOW})
    ORDER BY next_at, first_id LIMIT 1
    FOR UPDATE SKIP LOCKED)
  RETURNING key, attempts, lease_until`

const TAKE_UNBATCHED = `
  UPDATE outbox o SET batch = $1
  FROM (SELECT punch_id FROM outbox WHERE batch IS NULL ORDER BY punch_id LIMIT $2 FOR UPDATE SKIP LOCKED) picked
  WHERE o.punch_id = picked.punch_id
  RETURNING o.punch_id`

const NEW_BATCH = `
  INSERT INTO forward_batches (key, first_id, attempts, next_at, created, claim, owner, lease_until)
  VALUES ($1, $2, 0, ${NOW}, ${NOW}, $3, $4, ${NOW} + $5)
  RETURNING lease_until`

const PUNCHES = `SELECT ${STORED_COLUMNS} FROM punches WHERE id IN (SELECT punch_id FROM outbox WHERE batch = $1) ORDER BY id`

/**
 * Recording a delivery or a retry's schedule need not wait for the disk: lost to a crash of the
 * database, it costs a send again under the same key, which the upstream takes as a duplicate (the
 * single box does the same: ForwardStore's unsynced writes). A new batch's key is always synced.
 */
const UNSYNCED = 'BEGIN; SET LOCAL synchronous_commit = off'

export class SharedOutbox {
  readonly #pool: pg.Pool
  readonly #leaseMs: number

  constructor (pool: pg.Pool, leaseMs: number) {
    this.#pool = pool
    this.#leaseMs = leaseMs
  }

  async claim (opts: ClaimOptions): Promise<ClaimedBatch | undefined> {
    const claim = randomUUID()
    return await inTransaction(this.#pool, async c => {
      const due = (await c.query<{ key: string, attempts: number, lease_until: number }>(CLAIM_DUE, [claim, opts.node, this.#leaseMs])).rows[0]
      if (due !== undefined) return { key: due.key, claim, attempts: due.attempts, leaseUntil: due.lease_until, punches: await punches(c, due.key) }
      const key = randomUUID()
      // The partial index in punch_id order is always the plan for the oldest unbatched rows. Statistics older
      // than the backlog (one committed at once, before autovacuum's analyze) make the planner read and sort
      // every unbatched row for each batch instead, a drain quadratic in its backlog: no sort for this one.
      await c.query('SET LOCAL enable_sort = off')
      const taken = (await c.query<{ punch_id: number }>(TAKE_UNBATCHED, [key, opts.size])).rows
      await c.query('SET LOCAL enable_sort = on')
      if (taken.length === 0) return undefined
      let first = taken[0].punch_id
      for (const r of taken) if (r.punch_id < first) first = r.punch_id
      const lease = (await c.query<{ lease_until: number }>(NEW_BATCH, [key, first, claim, opts.node, this.#leaseMs])).rows[0]
      return { key, claim, attempts: 0, leaseUntil: lease.lease_until, punches: await punches(c, key) }
    })
  }

  async renew (batch: ClaimedBatch): Promise<number | undefined> {
    // A lease that ran out is lost even if nobody took the batch yet: "renew before the end" is the rule on every store.
    const r = await this.#pool.query<{ lease_until: number }>(`UPDATE forward_batches SET lease_until = ${NOW} + $3
      WHERE key = $1 AND claim = $2 AND lease_until > ${NOW} RETURNING lease_until`, [batch.key, batch.claim, this.#leaseMs])
    return r.rows[0]?.lease_until
  }

  async complete (batch: ClaimedBatch): Promise<boolean> {
    return await inTransaction(this.#pool, async c => {
      const gone = await c.query('DELETE FROM forward_batches WHERE key = $1', [batch.key])
      await c.query('DELETE FROM outbox WHERE batch = $1', [batch.key])
      return gone.rowCount === 1
    }, UNSYNCED)
  }

  async release (batch: ClaimedBatch, opts: ReleaseOptions): Promise<boolean> {
    return await inTransaction(this.#pool, async c => {
      const r = await c.query(`UPDATE forward_batches SET attempts = attempts + 1, next_at = ${NOW} + $3, last_error = $4,
        claim = NULL, owner = NULL, lease_until = NULL WHERE key = $1 AND claim = $2`,
      [batch.key, batch.claim, Math.round(opts.retryInMs), opts.error.slice(0, MAX_ERROR_CHARS)])
      return r.rowCount === 1
    }, UNSYNCED)
  }
}

async function punches (c: pg.PoolClient, key: string): Promise<ClaimedBatch['punches']> {
  const res = await c.query<StoredRow>({ text: PUNCHES, values: [key], rowMode: 'array' })
  return res.rows.map(storedPunch)
}
