/**
 * Stored punches read back for people (/api/v1/punches and its exports): filtered by badge, person, device,
 * site, time and flag, in id order, a page at a time. A page examines at most PUNCH_SCAN_IDS ids past its cursor, whatever the
 * filter, so a filter that matches little costs a bounded scan per request instead of one pass over the
 * table; such a page may come back short or empty with a `next` to go on from. No index beyond the
 * primary key is added: every index is paid for on the commit path of every punch.
 */
import type { Db, Statement } from './db.js'
import type { StoredPunch } from './punch-store.js'
import { SiteMap } from '../rules/sites.js'

const SITE_FUNCTION = 'punchline_site_of'

/** Ids examined per page at most. */
export const PUNCH_SCAN_IDS = 20_000

export interface PunchFilter {
  badge?: string
  person?: string
  device?: string
  /** a site of the config's `sites`: its devices by id or prefix, as the rules see them (rules/sites.ts) */
  site?: string
  /** ts from (inclusive) and to (exclusive), ms since the epoch */
  from?: number
  to?: number
  flag?: string
}

export type ListedPunch = Omit<StoredPunch, 'flags' | 'up' | 'source' | 'source_id'> & {
  flags: string[]
  /** a ZKTeco terminal's punch: its identity from the line, also its id upstream (docs/ADMS.md); null for others */
  sourceId: string | null
  /** what a ZKTeco terminal said beside the punch (docs/ADMS.md), null for others */
  source: Record<string, unknown> | null
  /** the site the device belongs to ('' for none) */
  site: string
  /** the upstream has accepted it (it has left the pending set) */
  delivered: boolean
}

export interface PunchPage {
  punches: ListedPunch[]
  /** the cursor for the next page (pass as `after`); absent when nothing is stored past this page */
  next?: number
}

export class PunchQuery {
  readonly #page: Statement
  readonly #bounds: Statement

  constructor (db: Db, sites = new SiteMap({})) {
    // The site is the rules' own answer for the device (first matching entry wins), so a filter and the
    // watermark never disagree about where a device belongs; only evaluated when a site is asked for.
    db.function(SITE_FUNCTION, { deterministic: true }, (device: unknown) => sites.of(String(device)).site)
    this.#page = db.prepare(`SELECT id, device, epoch, seq, ts, tz, emp, kind, method, clock, lat, lon, acc, manual, flags, received, person,
        ${SITE_FUNCTION}(device) AS site, NOT EXISTS (SELECT 1 FROM pending WHERE pending.id = punches.id) AS delivered,
        source_id AS sourceId, source
      FROM punches
      WHERE id > @lo AND id <= @hi
        AND (@badge IS NULL OR emp = @badge)
        AND (@person IS NULL OR person = @person)
        AND (@device IS NULL OR device = @device)
        AND (@site IS NULL OR ${SITE_FUNCTION}(device) = @site)
        AND (@from IS NULL OR ts >= @from)
        AND (@to IS NULL OR ts < @to)
        AND (@flag IS NULL OR (',' || flags || ',') LIKE ('%,' || @flag || ',%'))
      ORDER BY id LIMIT @limit`)
    this.#bounds = db.prepare('SELECT min(id) AS lo, max(id) AS hi FROM punches')
  }

  page (filter: PunchFilter, limit: number, after = 0): PunchPage {
    const bounds = this.#bounds.get() as { lo: number | null, hi: number | null }
    if (bounds.hi === null || after >= bounds.hi) return { punches: [] }
    // Past purged ids at once: a cursor from before retention ran does not walk empty ranges.
    const lo = Math.max(after, (bounds.lo ?? 1) - 1)
    const hi = lo + PUNCH_SCAN_IDS
    const rows = this.#page.all({
      lo,
      hi,
      limit,
      badge: filter.badge ?? null,
      person: filter.person ?? null,
      device: filter.device ?? null,
      site: filter.site ?? null,
      from: filter.from ?? null,
      to: filter.to ?? null,
      flag: filter.flag ?? null
    }) as Array<ListedRow & { flags: string, site: string, delivered: number }>
    const punches = rows.map(r => ({
      ...r,
      flags: r.flags === '' ? [] : r.flags.split(','),
      delivered: r.delivered === 1,
      source: sourceOf(r.source)
    }))
    const next = punches.length === limit ? punches[punches.length - 1].id : hi
    return next < bounds.hi ? { punches, next } : { punches }
  }
}

/** A punches row as the listing queries select it: the source's identity as `sourceId`. */
export type ListedRow = Omit<StoredPunch, 'source_id'> & { sourceId: string | null }

/** A stored punch's `source` (JSON, store/punch-store.ts) as the API lists it. */
export function sourceOf (json: string | null): Record<string, unknown> | null {
  return json === null ? null : JSON.parse(json) as Record<string, unknown>
}
