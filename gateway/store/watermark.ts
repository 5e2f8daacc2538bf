/**
 * The delivered watermark: per device, a time T such that every punch the device took before T has been
 * delivered upstream, as far as the gateway can know. It is the earliest of
 *
 *   - the oldest stored punch of the device not yet delivered (past the cursor, in an outbox batch, or
 *     parked in dead letters: a parked punch holds the watermark until an operator deals with it);
 *   - the oldest punch the device still holds unsent, as its last status says (`ring.oldestPendingTs`;
 *     pending with no time = nothing can be said);
 *   - the last time the device was heard from, when it is offline (it may have taken punches since).
 *
 * A site's watermark is the earliest of its devices'. The undelivered punches are the `pending` table
 * (migration 5), kept as punches are stored and delivered, so the stored part costs two index probes per
 * device with punches pending, whatever the backlog (docs/DESIGN-NOTES.md, "Watermarks and backlog figures").
 */
import type { Db } from './db.js'
import type { DeviceStatus } from '../../shared/codec/status.js'
import type { Watermark, Watermarks } from '../../shared/upstream.js'

interface DeviceRowLite { id: string, last_seen: number | null, status: string | null }

export interface WatermarkInputs {
  gatewayId: string
  siteOf: (device: string) => string
  /** is the device connected to this gateway now? */
  connected: (device: string) => boolean
  now: number
}

/**
 * The oldest undelivered stored punch per device: a skip over the distinct devices of the (device, ts)
 * index, each with its least ts, rather than a GROUP BY that reads every pending row.
 */
const OLDEST_PENDING = `
  WITH RECURSIVE d(device) AS (
    SELECT (SELECT device FROM pending ORDER BY device LIMIT 1)
    UNION ALL
    SELECT (SELECT device FROM pending WHERE device > d.device ORDER BY device LIMIT 1) FROM d WHERE d.device IS NOT NULL
  )
  SELECT device, (SELECT min(ts) FROM pending WHERE device = d.device) AS ts FROM d WHERE device IS NOT NULL`

function oldestUndelivered (db: Db): Map<string, number> {
  const rows = db.prepare(OLDEST_PENDING).all() as Array<{ device: string, ts: number }>
  return new Map(rows.map(r => [r.device, r.ts]))
}

function mark (beforeMs: number | null, heldBy: string): Watermark {
  return { before: beforeMs === null ? null : new Date(beforeMs).toISOString(), beforeMs, heldBy }
}

export function computeWatermarks (db: Db, o: WatermarkInputs): Watermarks {
  const undelivered = oldestUndelivered(db)
  const devices = db.prepare('SELECT id, last_seen, status FROM devices ORDER BY id').all() as DeviceRowLite[]
  const known = new Set(devices.map(d => d.id))
  // A device whose punches are stored but that has no devices row (anonymous, or removed since) still counts.
  for (const id of undelivered.keys()) if (!known.has(id)) devices.push({ id, last_seen: null, status: null })

  const perDevice: Watermarks['devices'] = []
  const perSite = new Map<string, { site: string } & Watermark>()
  for (const d of devices) {
    const site = o.siteOf(d.id)
    const w = deviceMark(d, undelivered.get(d.id), o)
    perDevice.push({ device: d.id, site, ...w })
    const s = perSite.get(site)
    if (s === undefined || earlier(w, s)) perSite.set(site, { site, ...w, heldBy: `${d.id}: ${w.heldBy}` })
  }
  return {
    gateway: o.gatewayId,
    at: new Date(o.now).toISOString(),
    sites: [...perSite.values()].sort((a, b) => a.site.localeCompare(b.site)),
    devices: perDevice
  }
}

/** a holds back further than b (null = nothing can be said = furthest back). */
function earlier (a: Watermark, b: Watermark): boolean {
  if (a.beforeMs === null) return b.beforeMs !== null
  return b.beforeMs !== null && a.beforeMs < b.beforeMs
}

function deviceMark (d: DeviceRowLite, oldest: number | undefined, o: WatermarkInputs): Watermark {
  let status: DeviceStatus | null = null
  try { status = d.status === null ? null : JSON.parse(d.status) as DeviceStatus } catch { status = null }
  let best = o.connected(d.id) ? o.now : d.last_seen
  let heldBy = o.connected(d.id) ? 'connected, nothing undelivered' : 'not heard from since'
  if (best === null) return mark(null, 'never heard from')
  const ring = status?.ring
  if (ring !== undefined && ring.pending > 0) {
    if (ring.oldestPendingTs == null) return mark(null, `${ring.pending} punches unsent on the device, of unknown age`)
    if (ring.oldestPendingTs < best) { best = ring.oldestPendingTs; heldBy = `${ring.pending} punches unsent on the device` }
  }
  if (oldest !== undefined && oldest < best) { best = oldest; heldBy = 'an undelivered punch at the gateway' }
  return mark(best, heldBy)
}
