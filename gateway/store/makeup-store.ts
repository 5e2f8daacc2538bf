/**
 * Make-up punches (docs/API.md, "Make-up punches"): a request enters `pending`; hr approves or rejects it
 * once. Approving stores a punch of its own, flagged `manual`, under the gateway's make-up epoch with the
 * request's id as its seq: the outbox, its Idempotency-Keys and every sink then carry it like any punch,
 * and its upstream id (`device:epoch:seq`) is the same on every retry. A rejected request never becomes a
 * punch. Each change writes its audit row in the same transaction.
 */
import { createHash } from 'node:crypto'
import { localIso } from '../../shared/iso-time.js'
import type { PunchKind } from '../../shared/punch.js'
import type { UpstreamManual } from '../../shared/upstream.js'
import type { Db, Statement } from './db.js'
import { AuditLog } from './audit-log.js'
import type { Actor } from './operator-store.js'
import { PunchStore, type StoredPunch } from './punch-store.js'
import type { MakeupRule, PolicyVerdict } from '../makeup/policy.js'

export const MAKEUP_STATUSES = ['pending', 'approved', 'rejected'] as const
export type MakeupStatus = typeof MAKEUP_STATUSES[number]

/** The device a make-up asked for without one is stored under (docs/API.md, "Make-up punches"). */
export const MAKEUP_DEVICE = 'makeup'

export interface MakeupRequest {
  emp: string
  ts: number
  /** the offset the time was given with, minutes east of UTC */
  tz: number
  /** the punch's local calendar month, YYYY-MM */
  month: string
  kind: PunchKind
  reason: string
  evidence?: string
  device?: string
  site: string
}

export interface Makeup {
  id: number
  emp: string
  /** ISO 8601 with the offset it was asked with */
  ts: string
  kind: string
  reason: string
  evidence: string | null
  status: MakeupStatus
  requestedBy: string
  requestedAt: number
  decidedBy: string | null
  decidedAt: number | null
  comment: string | null
  /** the upstream id of the punch an approval made; null until then */
  punchId: string | null
  device: string | null
  site: string
  /** the site rules it was let through beyond, for hr to weigh (over-limit, outside-window) */
  exceptions: string[]
  attachment: AttachmentInfo | null
}

interface Row {
  id: number
  emp: string
  ts: number
  tz: number
  month: string
  kind: string
  reason: string
  evidence: string | null
  device: string | null
  site: string
  exceptions: string
  status: MakeupStatus
  requested_by: string
  requested_at: number
  decided_by: string | null
  decided_at: number | null
  comment: string | null
  punch_row: number | null
  /** from makeup_attachments, when one was added */
  a_type?: string | null
  a_size?: number | null
  a_sha256?: string | null
}

const SELECT = `SELECT m.*, a.type AS a_type, length(a.bytes) AS a_size, a.sha256 AS a_sha256
  FROM makeups m LEFT JOIN makeup_attachments a ON a.makeup = m.id`

/** What the API shows of an attachment (the bytes are served by GET /api/v1/makeups/{id}/attachment). */
export interface AttachmentInfo {
  type: string
  size: number
  sha256: string
}

export interface MakeupPage {
  items: Makeup[]
  /** pass as `cursor` for the next (older) page; null on the last page */
  next: number | null
}

export type Decision =
  | { ok: true, makeup: Makeup }
  | { ok: false, why: 'not_found' }
  | { ok: false, why: 'decided', status: MakeupStatus }
  | { ok: false, why: 'refused', verdict: Extract<PolicyVerdict, { ok: false }> }

export class MakeupStore {
  readonly #db: Db
  readonly #audit: AuditLog
  readonly #punches: PunchStore
  readonly #get: Statement
  readonly #count: Statement
  readonly #byPunch: Statement
  readonly epoch: string

  constructor (db: Db) {
    this.#db = db
    this.#audit = new AuditLog(db)
    this.#punches = new PunchStore(db)
    this.#get = db.prepare(`${SELECT} WHERE m.id = ?`)
    this.#count = db.prepare('SELECT count(*) AS n FROM makeups WHERE emp = ? AND month = ? AND status IN (?, ?) AND id IS NOT ?')
    this.#byPunch = db.prepare('SELECT * FROM makeups WHERE punch_row = ?')
    this.epoch = (db.prepare("SELECT value FROM meta WHERE key = 'makeup_epoch'").get() as { value: string }).value
  }

  /**
   * Stores a request if `judge` lets it through, given how many make-ups (pending or approved) the person
   * has in that month; the count and the insert are one transaction, so two requests cannot both be the
   * last one allowed.
   */
  request (r: MakeupRequest, by: Actor, judge: (monthCount: number) => PolicyVerdict): { ok: true, makeup: Makeup } | Extract<PolicyVerdict, { ok: false }> {
    return this.#db.transaction(() => {
      const verdict = judge(this.#monthCount(r.emp, r.month, ['pending', 'approved']))
      if (!verdict.ok) return verdict
      const id = Number(this.#db.prepare(`INSERT INTO makeups (emp, ts, tz, month, kind, reason, evidence, device, site, exceptions, requested_by, requested_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(r.emp, r.ts, r.tz, r.month, r.kind, r.reason, r.evidence ?? null, r.device ?? null, r.site, verdict.exceptions.join(','), by.name, by.now).lastInsertRowid)
      this.#audit.record({ at: by.now, actor: by.name, action: 'makeup.request', target: `makeup ${id}`, detail: `${r.emp} ${r.kind} at ${localIso(r.ts, r.tz)}` })
      return { ok: true as const, makeup: this.get(id)! }
    }).immediate()
  }

  get (id: number): Makeup | undefined {
    const row = this.#get.get(id) as Row | undefined
    return row === undefined ? undefined : this.#shape(row)
  }

  /** Newest first; `cursor` is an id from a previous page (ids only grow, so a page never shifts). */
  page (filter: { status?: MakeupStatus, emp?: string }, limit: number, cursor?: number): MakeupPage {
    const rows = this.#db.prepare(`${SELECT} WHERE m.id < @cursor
      AND (@status IS NULL OR m.status = @status) AND (@emp IS NULL OR m.emp = @emp)
      ORDER BY m.id DESC LIMIT @limit`)
      .all({ cursor: cursor ?? Number.MAX_SAFE_INTEGER, status: filter.status ?? null, emp: filter.emp ?? null, limit: limit + 1 }) as Row[]
    const items = rows.slice(0, limit).map(r => this.#shape(r))
    return { items, next: rows.length > limit ? items[items.length - 1].id : null }
  }

  /**
   * Approves a pending request and stores its punch. `judge` is asked again with the person's approved
   * make-ups of that month (the others): the limit counts what was approved meanwhile, and a request let
   * through beyond it goes upstream flagged `over-limit` as well as `manual`.
   */
  approve (id: number, by: Actor, comment: string | undefined, judge: (approvedCount: number, site: string) => PolicyVerdict): Decision {
    return this.#db.transaction((): Decision => {
      const row = this.#get.get(id) as Row | undefined
      if (row === undefined) return { ok: false, why: 'not_found' }
      if (row.status !== 'pending') return { ok: false, why: 'decided', status: row.status }
      const verdict = judge(this.#monthCount(row.emp, row.month, ['approved'], id), row.site)
      if (!verdict.ok) return { ok: false, why: 'refused', verdict }
      const flags = verdict.exceptions.includes('over-limit') ? 'manual,over-limit' : 'manual'
      const punchRow = this.#punches.write(() => this.#punches.insert({
        device: row.device ?? MAKEUP_DEVICE,
        epoch: this.epoch,
        tz: row.tz,
        punch: { seq: row.id, ts: row.ts, emp: row.emp, kind: row.kind as PunchKind, method: 'manual', clock: 'synced', manual: { reason: row.reason } },
        flags,
        person: row.emp
      }, by.now))
      // The identity is (device, make-up epoch, request id): only a device whose own random epoch is this
      // gateway's make-up epoch could hold it already, and then the approval must fail, not vanish.
      if (punchRow === 0) throw new Error(`punch ${row.device ?? MAKEUP_DEVICE}:${this.epoch}:${row.id} is stored already; make-up ${id} not approved`)
      const exceptions = [...new Set([...row.exceptions.split(',').filter(e => e !== ''), ...verdict.exceptions])].join(',')
      this.#db.prepare('UPDATE makeups SET status = \'approved\', decided_by = ?, decided_at = ?, comment = ?, punch_row = ?, exceptions = ? WHERE id = ?')
        .run(by.name, by.now, comment ?? null, punchRow, exceptions, id)
      this.#audit.record({ at: by.now, actor: by.name, action: 'makeup.approve', target: `makeup ${id}`, detail: comment ?? null })
      return { ok: true, makeup: this.get(id)! }
    }).immediate()
  }

  reject (id: number, by: Actor, comment: string): Decision {
    return this.#db.transaction((): Decision => {
      const row = this.#get.get(id) as Row | undefined
      if (row === undefined) return { ok: false, why: 'not_found' }
      if (row.status !== 'pending') return { ok: false, why: 'decided', status: row.status }
      this.#db.prepare('UPDATE makeups SET status = \'rejected\', decided_by = ?, decided_at = ?, comment = ? WHERE id = ?').run(by.name, by.now, comment, id)
      this.#audit.record({ at: by.now, actor: by.name, action: 'makeup.reject', target: `makeup ${id}`, detail: comment })
      return { ok: true, makeup: this.get(id)! }
    }).immediate()
  }

  /**
   * Adds (or, while the request is pending, replaces) its evidence file; decided requests keep theirs.
   * Audited in the same transaction, with the file's type, size and SHA-256.
   */
  attach (id: number, file: { type: string, bytes: Buffer }, by: Actor): Decision {
    return this.#db.transaction((): Decision => {
      const row = this.#get.get(id) as Row | undefined
      if (row === undefined) return { ok: false, why: 'not_found' }
      if (row.status !== 'pending') return { ok: false, why: 'decided', status: row.status }
      const sha256 = createHash('sha256').update(file.bytes).digest('hex')
      this.#db.prepare(`INSERT INTO makeup_attachments (makeup, type, bytes, sha256, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (makeup) DO UPDATE SET type = excluded.type, bytes = excluded.bytes, sha256 = excluded.sha256, added_by = excluded.added_by, added_at = excluded.added_at`)
        .run(id, file.type, file.bytes, sha256, by.name, by.now)
      this.#audit.record({ at: by.now, actor: by.name, action: 'makeup.attachment', target: `makeup ${id}`, detail: `${file.type}, ${file.bytes.length} bytes, sha256 ${sha256}` })
      return { ok: true, makeup: this.get(id)! }
    }).immediate()
  }

  attachment (id: number): { type: string, bytes: Buffer } | undefined {
    return this.#db.prepare('SELECT type, bytes FROM makeup_attachments WHERE makeup = ?').get(id) as { type: string, bytes: Buffer } | undefined
  }

  /**
   * What goes upstream in `manual` for a stored punch that an approved make-up made (who asked, who
   * approved, when, the comment); undefined for any other punch, at the cost of a string compare.
   */
  upstreamManual (p: StoredPunch): (UpstreamManual & { site: string }) | undefined {
    if (p.epoch !== this.epoch || p.method !== 'manual') return undefined
    const row = this.#byPunch.get(p.id) as Row | undefined
    if (row === undefined || row.decided_by === null || row.decided_at === null) return undefined
    const manual: UpstreamManual & { site: string } = {
      reason: row.reason,
      makeup: row.id,
      requestedBy: row.requested_by,
      approvedBy: row.decided_by,
      approvedAt: new Date(row.decided_at).toISOString(),
      site: row.site
    }
    if (row.comment !== null) manual.comment = row.comment
    return manual
  }

  #monthCount (emp: string, month: string, statuses: MakeupStatus[], except?: number): number {
    const [a, b = a] = statuses
    return (this.#count.get(emp, month, a, b, except ?? null) as { n: number }).n
  }

  #shape (r: Row): Makeup {
    return {
      id: r.id,
      emp: r.emp,
      ts: localIso(r.ts, r.tz),
      kind: r.kind,
      reason: r.reason,
      evidence: r.evidence,
      status: r.status,
      requestedBy: r.requested_by,
      requestedAt: r.requested_at,
      decidedBy: r.decided_by,
      decidedAt: r.decided_at,
      comment: r.comment,
      punchId: r.punch_row === null ? null : `${r.device ?? MAKEUP_DEVICE}:${this.epoch}:${r.id}`,
      device: r.device,
      site: r.site,
      exceptions: r.exceptions === '' ? [] : r.exceptions.split(',') as MakeupRule[],
      attachment: r.a_type == null ? null : { type: r.a_type, size: r.a_size!, sha256: r.a_sha256! }
    }
  }
}
