/**
 * The nodes' heartbeats in the shared store (gateway/cluster/node-registry.ts): each node upserts its row
 * in cluster_nodes (migrations.ts), and any reader judges each row's state on the database's clock, so
 * nodes whose clocks disagree still agree on who is stale.
 */
import type pg from 'pg'
import { checkBeat, MAX_NODE_TEXT, MAX_UPSTREAM_ERROR_CHARS, nodeState, STALE_BEATS, type NodeBeat, type NodeRecord, type NodeUpstream } from '../node-registry.js'

const NOW = '(extract(epoch FROM clock_timestamp()) * 1000)::int8'

// A beat after a restart under the same node id starts the row again: new pid, new start, not stopped.
const UPSERT = `INSERT INTO cluster_nodes (node_id, host, pid, version, broker, started, last_seen, interval_ms, stopped,
    acked, unacked, punches_delivered, failed, lease_lost, queued_rows, claims_held,
    up_since, up_delivered, up_failed_at, up_failure_kind, up_failure_status, up_failure_error)
  VALUES ($1, $2, $3, $4, $5, $6, ${NOW}, $7, CASE WHEN $8 THEN ${NOW} END, $9, $10, $11, $12, $13, $14, $15,
    $16, $17, $18, $19, $20, $21)
  ON CONFLICT (node_id) DO UPDATE SET host = excluded.host, pid = excluded.pid, version = excluded.version,
    broker = excluded.broker, started = excluded.started, last_seen = excluded.last_seen,
    interval_ms = excluded.interval_ms, stopped = excluded.stopped, acked = excluded.acked,
    unacked = excluded.unacked, punches_delivered = excluded.punches_delivered, failed = excluded.failed,
    lease_lost = excluded.lease_lost, queued_rows = excluded.queued_rows, claims_held = excluded.claims_held,
    up_since = excluded.up_since, up_delivered = excluded.up_delivered, up_failed_at = excluded.up_failed_at,
    up_failure_kind = excluded.up_failure_kind, up_failure_status = excluded.up_failure_status,
    up_failure_error = excluded.up_failure_error`

const LIST = `SELECT node_id, host, pid, version, broker, started, last_seen, interval_ms, stopped, acked, unacked,
    punches_delivered, failed, lease_lost, queued_rows, claims_held, up_since, up_delivered, up_failed_at,
    up_failure_kind, up_failure_status, up_failure_error, greatest(0, ${NOW} - last_seen) AS silent_ms
  FROM cluster_nodes ORDER BY node_id`

interface Row {
  node_id: string
  host: string
  pid: number
  version: string
  broker: string
  started: number
  last_seen: number
  interval_ms: number
  stopped: number | null
  acked: number
  unacked: number
  punches_delivered: number
  failed: number
  lease_lost: number
  queued_rows: number
  claims_held: number
  up_since: number | null
  up_delivered: number | null
  up_failed_at: number | null
  up_failure_kind: string | null
  up_failure_status: number | null
  up_failure_error: string | null
  silent_ms: number
}

function upstreamOf (r: Row): NodeUpstream | null {
  if (r.up_since === null) return null
  return {
    since: r.up_since,
    lastDeliveredAt: r.up_delivered,
    lastFailure: r.up_failed_at === null ? null : { at: r.up_failed_at, kind: r.up_failure_kind ?? '', status: r.up_failure_status, error: r.up_failure_error ?? '' }
  }
}

export async function writeBeat (pool: pg.Pool, b: NodeBeat): Promise<void> {
  checkBeat(b)
  const c = b.counts
  const u = b.upstream
  const f = u?.lastFailure
  await pool.query(UPSERT, [b.nodeId, b.host.slice(0, MAX_NODE_TEXT), b.pid, b.version.slice(0, MAX_NODE_TEXT), b.broker.slice(0, MAX_NODE_TEXT),
    b.startedAt, b.intervalMs, b.stopping === true, c.acked, c.unacked, c.punchesDelivered, c.failed, c.leaseLost, c.queuedRows, c.claimsHeld,
    u?.since ?? null, u?.lastDeliveredAt ?? null, f?.at ?? null, f?.kind.slice(0, MAX_UPSTREAM_ERROR_CHARS) ?? null, f?.status ?? null, f?.error.slice(0, MAX_UPSTREAM_ERROR_CHARS) ?? null])
}

export async function listNodes (pool: pg.Pool): Promise<NodeRecord[]> {
  const { rows } = await pool.query<Row>(LIST)
  return rows.map(r => {
    const silentMs = Number(r.silent_ms)
    return {
      nodeId: r.node_id,
      host: r.host,
      pid: r.pid,
      version: r.version,
      broker: r.broker,
      startedAt: r.started,
      intervalMs: r.interval_ms,
      counts: { acked: r.acked, unacked: r.unacked, punchesDelivered: r.punches_delivered, failed: r.failed, leaseLost: r.lease_lost, queuedRows: r.queued_rows, claimsHeld: r.claims_held },
      upstream: upstreamOf(r),
      lastSeen: r.last_seen,
      stoppedAt: r.stopped,
      silentMs,
      state: nodeState({ stoppedAt: r.stopped, silentMs, intervalMs: r.interval_ms })
    }
  })
}

/**
 * Removes a node's row, unless it is alive (judged as listNodes judges it, in the same statement): the row
 * of a node gone for good. 'alive' when refused, 'unknown' when there was no such row.
 */
export async function forgetNode (pool: pg.Pool, nodeId: string): Promise<'forgotten' | 'alive' | 'unknown'> {
  const { rowCount } = await pool.query(`DELETE FROM cluster_nodes WHERE node_id = $1
    AND (stopped IS NOT NULL OR ${NOW} - last_seen > ${STALE_BEATS} * interval_ms)`, [nodeId])
  if (rowCount === 1) return 'forgotten'
  const { rows } = await pool.query('SELECT 1 FROM cluster_nodes WHERE node_id = $1', [nodeId])
  return rows.length === 1 ? 'alive' : 'unknown'
}
