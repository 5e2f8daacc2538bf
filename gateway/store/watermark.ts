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
 * A site's watermark is the earliest of its devices'. Computing it reads the backlog once, so it runs
 * now and then (the API, the sinks' schedule), never per punch.
 */
import type { Db } from './db.js'
import { ForwardStore } from './forward-store.js'
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

/** The oldest undelivered stored punch per device. */
function oldestUndelivered (db: Db): Map<string, number> {
  const cursor = new ForwardStore(db).cursor()
  const rows = db.prepare(`
    SELECT device, min(ts) AS ts FROM punches WHERE id > ? GROUP BY device
    UNION ALL
    SELECT p.device, min(p.ts) FROM forward_batches b JOIN punches p ON p.id BETWEEN b.first_id AND b.last_id GROUP BY p.device
    UNION ALL
    SELECT p.device, min(p.ts) FROM dead_letters d JOIN punches p ON p.id = d.punch_id WHERE d.replayed IS NULL GROUP BY p.device
  `).all(cursor) as Array<{ device: string, ts: number }>
  const out = new Map<string, number>()
  for (const r of rows) {
    const cur = out.get(r.device)
    if (cur === undefined || r.ts < cur) out.set(r.device, r.ts)
  }
  return out
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
