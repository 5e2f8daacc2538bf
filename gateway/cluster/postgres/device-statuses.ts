/**
 * Devices' last statuses in the shared store (device_statuses, migrations.ts; gateway/cluster/device-statuses.ts):
 * written by the nodes in multi-row upserts, one array parameter per column as the ledger's inserts,
 * read by a cluster's console joined with the device registry.
 *
 * Each statement's rows are sorted by device, so two nodes upserting overlapping devices lock the rows in
 * the same order and never deadlock. A stored status is replaced only by one received later (the WHERE of
 * the conflict), whichever node writes first.
 */
import type pg from 'pg'
import type { DeviceStatus } from '../../../shared/codec/status.js'
import { latestPerDevice, type DeviceAlarmQuery, type RegisteredDevice, type StatusTaken, type StoredStatus } from '../device-statuses.js'
import { deviceHealth, type DeviceHealth } from '../../health.js'

const UPSERT = `INSERT INTO device_statuses (device, online, last_seen, first_seen, status, described, node)
  SELECT d, o, r, r, s::jsonb, ds::jsonb, n FROM unnest($1::text[], $2::bool[], $3::int8[], $4::text[], $5::text[], $6::text[]) AS t(d, o, r, s, ds, n)
  ON CONFLICT (device) DO UPDATE SET online = excluded.online, last_seen = excluded.last_seen, status = excluded.status,
    described = coalesce(excluded.described, device_statuses.described), node = excluded.node
  WHERE device_statuses.last_seen <= excluded.last_seen`

/** rows per upsert statement: a statement's size in memory and the time it holds its row locks */
export const STATUS_ROWS_PER_STATEMENT = 1000

/** Writes the latest status per device, in statements of up to STATUS_ROWS_PER_STATEMENT rows; how many rows changed. */
export async function saveStatuses (pool: pg.Pool, rows: readonly StatusTaken[]): Promise<number> {
  const latest = latestPerDevice(rows)
  let written = 0
  for (let i = 0; i < latest.length; i += STATUS_ROWS_PER_STATEMENT) {
    const part = latest.slice(i, i + STATUS_ROWS_PER_STATEMENT)
    const res = await pool.query(UPSERT, [
      part.map(r => r.device),
      part.map(r => r.status.online),
      part.map(r => r.receivedAt),
      part.map(r => JSON.stringify(r.status)),
      part.map(r => r.described === null ? null : JSON.stringify(r.described)),
      part.map(r => r.node)
    ])
    written += res.rowCount ?? 0
  }
  return written
}

interface Row { device: string, online: boolean, last_seen: number, first_seen: number, status: DeviceStatus, described: DeviceStatus | null, node: string }

const COLUMNS = 'device, online, last_seen, first_seen, status, described, node'

function stored (r: Row): StoredStatus {
  return { device: r.device, online: r.online, lastSeen: r.last_seen, firstSeen: r.first_seen, status: r.status, described: r.described, node: r.node }
}

/** the first `limit` devices' rows, by device */
export async function listStatuses (pool: pg.Pool, limit: number): Promise<StoredStatus[]> {
  const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM device_statuses ORDER BY device LIMIT $1`, [limit])
  return rows.map(stored)
}

/**
 * Registered devices and devices seen, the first `limit` by id, in one statement (one snapshot): each
 * with its registration, its stored status, or both.
 */
export async function listDeviceStates (pool: pg.Pool, limit: number): Promise<Array<{ registered?: RegisteredDevice, seen?: StoredStatus }>> {
  const { rows } = await pool.query<Row & { id: string | null, created: number | null }>(
    `SELECT c.id, c.created, s.device, s.online, s.last_seen, s.first_seen, s.status, s.described, s.node
      FROM device_credentials c FULL OUTER JOIN device_statuses s ON s.device = c.id
      ORDER BY coalesce(c.id, s.device) LIMIT $1`, [limit])
  return rows.map(r => ({
    registered: r.id === null ? undefined : { id: r.id, created: r.created ?? 0 },
    seen: r.device === null ? undefined : stored(r)
  }))
}

/**
 * The devices past one of the single box's device thresholds (alarms.ts deviceAlarms), the first `limit`
 * by id, with what deviceAlarms reads of them: the thresholds are in the WHERE, so the store scans its
 * rows and sends only those, never the fleet. Each test is the one deviceAlarms makes, on the same
 * doubles (pending / capacity is the same IEEE division in both), so a row sent is a row alarmed.
 */
export async function deviceAlarmCandidates (pool: pg.Pool, q: DeviceAlarmQuery): Promise<{ devices: DeviceHealth[], capped: boolean }> {
  const { rows } = await pool.query<{ id: string, created: number, last_seen: number | null, status: DeviceStatus | null }>(
    `SELECT coalesce(c.id, s.device) AS id, coalesce(c.created, s.first_seen) AS created, s.last_seen, s.status
      FROM device_credentials c FULL OUTER JOIN device_statuses s ON s.device = c.id
      WHERE ($1::int8 IS NOT NULL AND coalesce(s.last_seen, c.created) <= $1::int8)
        OR CASE WHEN (s.status->'ring'->>'capacity')::float8 > 0
             THEN (s.status->'ring'->>'pending')::float8 / (s.status->'ring'->>'capacity')::float8 >= $2::float8 ELSE false END
        OR abs((s.status->'clock'->>'offsetMs')::float8) > $3::float8
      ORDER BY 1 LIMIT $4`, [q.silentSince, q.ringFill, q.clockSkewMs, q.limit + 1])
  return { devices: rows.slice(0, q.limit).map(r => deviceHealth(r.id, r.created, r.last_seen, r.status)), capped: rows.length > q.limit }
}
