/**
 * The state of a site's gateway as an operator asks about it: which devices are quiet, how far behind the
 * upstream is, what is parked, what the rules flagged, how much room is left, which backups exist.
 *
 * Read from the database only, so `punchline report` gives the same answer from another process, with the
 * gateway running (WAL readers never block its writers) or stopped. What only a running gateway knows
 * (the last upstream delivery, a commit that hit a full disk) comes in as alarm extras (alarms.ts).
 */
import { backupDir, databasePath, type GatewayConfig } from './config.js'
import type { DeviceStatus } from '../shared/codec/status.js'
import type { Db } from './store/db.js'
import { DeviceStore } from './store/device-store.js'
import { ForwardStore, type Backlog } from './store/forward-store.js'
import { listBackups, type BackupInfo } from './store/backup.js'
import { measureStorage, storageVerdict, type StorageUsage } from './store/storage-usage.js'
import { readMovedAside, type MovedAside } from './store/moved-aside.js'

export const FLAGS_WINDOW_MS = 24 * 3_600_000

export interface DeviceHealth {
  id: string
  /** from the device's last status (its will says false); null when it never sent one */
  online: boolean | null
  lastSeen: number | null
  created: number
  ring: { pending: number, capacity: number, fill: number } | null
  /** the correction the device applied over its own clock (status clock.offsetMs) */
  clockOffsetMs: number | null
  /** 0..1 */
  battery: number | null
}

export interface OutboxHealth {
  /** formed batches the upstream has failed at least once */
  failingBatches: number
  /** when the oldest of them was formed (ms), null when none fails */
  failingSince: number | null
  lastError: string | null
}

export interface HealthSnapshot {
  at: number
  gatewayId: string
  upstream: { configured: boolean }
  devices: DeviceHealth[]
  backlog: Backlog & { oldestPendingAgeMs: number | null }
  outbox: OutboxHealth
  /** dead letters not yet replayed, by kind ('refused', 'unmapped') */
  deadLetters: Record<string, number>
  /** flagged punches stored in the last 24 h, by flag */
  flags24h: Record<string, number>
  storage: StorageUsage & { full: string | null }
  backups: BackupInfo[]
  /** a damaged database moved aside at start, until an operator acts on it (store/moved-aside.ts) */
  movedAside?: MovedAside | null
}

/** A device as the alarms judge it, from its last status as sent; also a cluster's stored devices (cluster/postgres/device-statuses.ts). */
export function deviceHealth (id: string, created: number, lastSeen: number | null, s: DeviceStatus | null): DeviceHealth {
  return {
    id,
    online: s?.online ?? null,
    lastSeen,
    created,
    ring: s?.ring === undefined ? null : { pending: s.ring.pending, capacity: s.ring.capacity, fill: s.ring.capacity > 0 ? s.ring.pending / s.ring.capacity : 0 },
    clockOffsetMs: s?.clock?.offsetMs ?? null,
    battery: s?.battery ?? null
  }
}

type Cfg = Pick<GatewayConfig, 'dataDir' | 'gatewayId' | 'upstream' | 'storage' | 'backup'>

/**
 * `flags24h` may come from a running gateway's RecentFlags (recent-flags.ts), kept up to date in bounded
 * steps; without it the day's punches are counted here (what `punchline report` does, in its own process).
 */
export function healthSnapshot (db: Db, cfg: Cfg, now: number, flags24h?: Record<string, number>): HealthSnapshot {
  const forward = new ForwardStore(db)
  const backlog = forward.backlog()
  const storage = measureStorage(db, databasePath(cfg), cfg.storage)
  return {
    at: now,
    gatewayId: cfg.gatewayId,
    upstream: { configured: cfg.upstream !== undefined },
    devices: new DeviceStore(db).list().map(d => deviceHealth(d.id, d.created, d.lastSeen, d.status)),
    backlog: { ...backlog, oldestPendingAgeMs: backlog.oldestReceived === null ? null : now - backlog.oldestReceived },
    outbox: outboxHealth(db),
    deadLetters: { refused: 0, unmapped: 0, ...forward.openDeadLetters() },
    flags24h: flags24h ?? flagsSince(db, now - FLAGS_WINDOW_MS),
    storage: { ...storage, full: storageVerdict(storage) ?? null },
    backups: listBackups(backupDir(cfg)),
    movedAside: readMovedAside(db)
  }
}

function outboxHealth (db: Db): OutboxHealth {
  const row = db.prepare(`SELECT count(*) AS n, min(created) AS since,
      (SELECT last_error FROM forward_batches WHERE attempts > 0 ORDER BY created DESC LIMIT 1) AS lastError
    FROM forward_batches WHERE attempts > 0`).get() as { n: number, since: number | null, lastError: string | null }
  return { failingBatches: row.n, failingSince: row.since, lastError: row.lastError }
}

function flagsSince (db: Db, since: number): Record<string, number> {
  // Grouped by the stored text first (few distinct combinations), then split: one pass over the day's
  // rows through the received index, with no per-row work in JavaScript.
  const rows = db.prepare(`SELECT flags, count(*) AS n FROM punches INDEXED BY punches_received
    WHERE received >= ? AND flags <> '' GROUP BY flags`).all(since) as Array<{ flags: string, n: number }>
  const out: Record<string, number> = {}
  for (const r of rows) {
    for (const f of r.flags.split(',')) out[f] = (out[f] ?? 0) + r.n
  }
  return out
}
