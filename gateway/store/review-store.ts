/**
 * Reviews of flagged punches (docs/API.md, "Reviews of flagged punches"): every punch stored with one of
 * REVIEW_FLAGS gets an open review (filed by PunchStore.write in the transaction that stores it);
 * hr confirms or disputes it once, with a comment, and the decision waits here until the upstream took it
 * (gateway/forward/review-feed.ts). A batch of decisions keeps its Idempotency-Key across retries and
 * restarts, as the punch outbox does. Each decision writes its audit row in the same transaction.
 */
import { randomUUID } from 'node:crypto'
import type { Db, Statement } from './db.js'
import { AuditLog } from './audit-log.js'
import type { Actor } from './operator-store.js'
import { sourceOf, type ListedPunch, type ListedRow } from './punch-query.js'

export type ReviewedPunch = Omit<ListedPunch, 'site' | 'delivered'>
import type { UpstreamReview } from '../../shared/upstream.js'

export { REVIEW_FLAGS } from './review-flags.js'

export const REVIEW_STATUSES = ['open', 'confirmed', 'disputed'] as const
export type ReviewStatus = typeof REVIEW_STATUSES[number]
export type ReviewDecision = 'confirm' | 'dispute'

export interface Review {
  /** the punch as /api/v1/punches lists it, without its site and delivery (reviews are read by punch) */
  punch: ReviewedPunch
  status: ReviewStatus
  decidedBy: string | null
  decidedAt: number | null
  comment: string | null
}

export interface ReviewPage {
  items: Review[]
  /** pass as `cursor` for the next (older) page; null on the last page */
  next: number | null
}

export type ReviewOutcome =
  | { ok: true, review: Review }
  | { ok: false, why: 'not_found' | 'not_flagged' }
  | { ok: false, why: 'decided', status: ReviewStatus }

/** A batch of decisions for the upstream, under its key. */
export interface ReviewBatch {
  key: string
  reviews: UpstreamReview[]
}

type Row = ListedRow & { status: ReviewStatus, decided_by: string | null, decided_at: number | null, comment: string | null }

const COLUMNS = `p.id, p.device, p.epoch, p.seq, p.ts, p.tz, p.emp, p.kind, p.method, p.clock, p.lat, p.lon, p.acc, p.manual, p.flags, p.received, p.person,
  p.source_id AS sourceId, p.source, r.status, r.decided_by, r.decided_at, r.comment`

export class ReviewStore {
  readonly #db: Db
  readonly #audit: AuditLog
  readonly #one: Statement
  readonly #page: Statement

  constructor (db: Db) {
    this.#db = db
    this.#audit = new AuditLog(db)
    this.#one = db.prepare(`SELECT ${COLUMNS} FROM reviews r JOIN punches p ON p.id = r.punch_id WHERE r.punch_id = ?`)
    this.#page = db.prepare(`SELECT ${COLUMNS} FROM reviews r JOIN punches p ON p.id = r.punch_id
      WHERE r.punch_id < @cursor AND (@status IS NULL OR r.status = @status) ORDER BY r.punch_id DESC LIMIT @limit`)
  }

  /** Newest punch first; `cursor` is a punch id from a previous page. */
  page (status: ReviewStatus | undefined, limit: number, cursor?: number): ReviewPage {
    const rows = this.#page.all({ cursor: cursor ?? Number.MAX_SAFE_INTEGER, status: status ?? null, limit: limit + 1 }) as Row[]
    const items = rows.slice(0, limit).map(shape)
    return { items, next: rows.length > limit ? items[items.length - 1].punch.id : null }
  }

  decide (punchId: number, decision: ReviewDecision, comment: string, by: Actor): ReviewOutcome {
    return this.#db.transaction((): ReviewOutcome => {
      const row = this.#one.get(punchId) as Row | undefined
      if (row === undefined) {
        const exists = this.#db.prepare('SELECT 1 FROM punches WHERE id = ?').get(punchId) !== undefined
        return { ok: false, why: exists ? 'not_flagged' : 'not_found' }
      }
      if (row.status !== 'open') return { ok: false, why: 'decided', status: row.status }
      const status: ReviewStatus = decision === 'confirm' ? 'confirmed' : 'disputed'
      this.#db.prepare('UPDATE reviews SET status = ?, decided_by = ?, decided_at = ?, comment = ? WHERE punch_id = ?').run(status, by.name, by.now, comment, punchId)
      this.#audit.record({ at: by.now, actor: by.name, action: `review.${decision}`, target: `punch ${punchId}`, detail: comment })
      return { ok: true, review: shape(this.#one.get(punchId) as Row) }
    }).immediate()
  }

  /**
   * The decisions to send next: a batch formed earlier and not yet taken (its key kept), else up to `max`
   * decisions not yet in a batch, given a new key first (committed before they are sent).
   */
  nextBatch (max: number): ReviewBatch | undefined {
    return this.#db.transaction((): ReviewBatch | undefined => {
      const open = this.#db.prepare('SELECT batch FROM reviews WHERE status <> \'open\' AND sent IS NULL AND refused IS NULL AND batch IS NOT NULL LIMIT 1').get() as { batch: string } | undefined
      const key = open?.batch ?? `reviews-${randomUUID()}`
      if (open === undefined) {
        const formed = this.#db.prepare(`UPDATE reviews SET batch = ? WHERE punch_id IN (SELECT punch_id FROM reviews
          WHERE status <> 'open' AND sent IS NULL AND refused IS NULL AND batch IS NULL ORDER BY decided_at, punch_id LIMIT ?)`).run(key, max).changes
        if (formed === 0) return undefined
      }
      const rows = this.#db.prepare(`SELECT r.upstream_id, r.status, r.decided_by, r.decided_at, r.comment, p.flags FROM reviews r
        LEFT JOIN punches p ON p.id = r.punch_id WHERE r.batch = ? ORDER BY r.decided_at, r.punch_id`)
        .all(key) as Array<{ upstream_id: string, status: ReviewStatus, decided_by: string, decided_at: number, comment: string | null, flags: string | null }>
      return {
        key,
        reviews: rows.map(r => ({
          punch: r.upstream_id,
          decision: r.status as 'confirmed' | 'disputed',
          by: r.decided_by,
          at: new Date(r.decided_at).toISOString(),
          comment: r.comment ?? '',
          ...(r.flags === null ? {} : { flags: r.flags === '' ? [] : r.flags.split(',') })
        }))
      }
    }).immediate()
  }

  delivered (key: string, now: number): void {
    this.#db.prepare('UPDATE reviews SET sent = ? WHERE batch = ?').run(now, key)
  }

  /** The upstream refused the batch for good: kept, marked with why, never sent again. */
  refused (key: string, why: string): void {
    this.#db.prepare('UPDATE reviews SET refused = ? WHERE batch = ?').run(why, key)
  }
}

function shape (r: Row): Review {
  const { status, decided_by: decidedBy, decided_at: decidedAt, comment, flags, ...punch } = r
  return { punch: { ...punch, flags: flags === '' ? [] : flags.split(','), source: sourceOf(punch.source) } as ReviewedPunch, status, decidedBy, decidedAt, comment }
}
