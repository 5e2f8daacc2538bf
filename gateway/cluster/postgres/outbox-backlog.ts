/**
 * What waits in the shared outbox, in the single box's Backlog shape (gateway/store/forward-store.ts), for a
 * cluster's console (GET /api/v1/backlog) and `punchline nodes`. The counts stop at BACKLOG_COUNT_CAP: an
 * outage's backlog can be tens of millions of rows, and a page polling every few seconds must not count
 * them all each time; `capped` says the figure is a floor. The oldest is the punch with the lowest row id
 * still in the outbox (one index probe): ids follow the order of storing across nodes closely enough for
 * an operator's "how old", not exactly.
 */
import type pg from 'pg'
import type { ClusterBacklog } from '../cluster-admin.js'

export const BACKLOG_COUNT_CAP = 1_000_000

const BACKLOG = `SELECT
  (SELECT count(*) FROM (SELECT 1 FROM outbox LIMIT $1) s)::int AS pending,
  (SELECT count(*) FROM (SELECT 1 FROM forward_batches LIMIT $1) s)::int AS batches,
  (SELECT p.received FROM outbox o JOIN punches p ON p.id = o.punch_id ORDER BY o.punch_id LIMIT 1) AS oldest,
  (SELECT count(*) FROM dead_letters WHERE replayed IS NULL)::int AS dead`

export async function outboxBacklog (pool: pg.Pool): Promise<ClusterBacklog> {
  const r = (await pool.query<{ pending: number, batches: number, oldest: number | null, dead: number }>(BACKLOG, [BACKLOG_COUNT_CAP])).rows[0]
  return {
    batches: r.batches,
    pendingPunches: r.pending,
    oldestReceived: r.oldest,
    deadLetters: r.dead,
    capped: r.pending >= BACKLOG_COUNT_CAP || r.batches >= BACKLOG_COUNT_CAP
  }
}
