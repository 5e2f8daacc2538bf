/**
 * Writes punches. Dedup is the database's job (docs/ARCHITECTURE.md, decision 1): `INSERT OR IGNORE` against
 * UNIQUE(device, epoch, seq), so a resent punch costs one index probe and is acked like a new one.
 * When a seq is already stored, the stored copy wins; if the resent content differs, that is a conflict,
 * counted and reported, never an overwrite.
 *
 * What a new punch adds beside itself, its row in the pending set (with the set's total) and, when its flags
 * ask for one, an open review, is filed once per transaction for all its new punches by `PunchStore.write`,
 * in set-based statements, not by triggers per row: on the commit thread the three insert triggers cost
 * half of its time per punch (docs/DESIGN-NOTES.md, "The pending set and reviews filed per transaction").
 * So every insert runs inside `write`, which checks that it is.
 */
import type { Punch } from '../../shared/punch.js'
import type { Db, Statement } from './db.js'
import { REVIEW_FLAGS } from './review-flags.js'

export interface PunchRow {
  device: string
  epoch: string
  tz: number | undefined
  punch: Punch
  flags: string
  /** the roster's employee for the badge on this device, when mapped (set by the rules step) */
  person?: string
  /**
   * For a punch from a source with identities of its own (a ZKTeco terminal: gateway/adms/): the
   * identity derived from its content, which dedups it instead of (device, epoch, seq) and is its id
   * upstream, and what the source said beside it (JSON).
   */
  sourceId?: string
  source?: string
}

export interface Conflict {
  device: string
  epoch: string
  seq: number
}

/** A row of the punches table, as SELECT * returns it. */
export interface StoredPunch {
  id: number
  device: string
  epoch: string
  seq: number
  ts: number
  tz: number | null
  emp: string
  kind: string
  method: string
  clock: string
  lat: number | null
  lon: number | null
  acc: number | null
  manual: string | null
  flags: string
  received: number
  up: number | null
  person: string | null
  /** a source's own identity for the punch (PunchRow.sourceId), null for the device runtime's punches */
  source_id: string | null
  source: string | null
}

/**
 * The punch columns read back for forwarding, as arrays: better-sqlite3 builds a row object property by
 * property, an array and one object literal of a fixed shape cost less, and the forwarder reads every
 * punch once (docs/DESIGN-NOTES.md, "The forwarder's hot path", has the figures).
 */
export const STORED_COLUMNS = 'id, device, epoch, seq, ts, tz, emp, kind, method, clock, lat, lon, acc, manual, flags, received, up, person, source_id, source'
export type StoredRow = [number, string, string, number, number, number | null, string, string, string, string,
  number | null, number | null, number | null, string | null, string, number, number | null, string | null, string | null, string | null]

export function storedPunch (r: StoredRow): StoredPunch {
  return {
    id: r[0],
    device: r[1],
    epoch: r[2],
    seq: r[3],
    ts: r[4],
    tz: r[5],
    emp: r[6],
    kind: r[7],
    method: r[8],
    clock: r[9],
    lat: r[10],
    lon: r[11],
    acc: r[12],
    manual: r[13],
    flags: r[14],
    received: r[15],
    up: r[16],
    person: r[17],
    source_id: r[18],
    source: r[19]
  }
}

/** What a resend is compared on: the punch as the device took it (flags and person are the gateway's). */
export type StoredContent = Pick<StoredPunch, 'ts' | 'emp' | 'kind' | 'method' | 'clock' | 'lat' | 'lon' | 'acc' | 'manual'>

/** Does the stored copy say something else than the punch sent again? (the stored copy wins: a conflict) */
export function contentDiffers (s: StoredContent, p: Punch): boolean {
  return s.ts !== p.ts || s.emp !== p.emp || s.kind !== p.kind || s.method !== p.method || s.clock !== p.clock ||
    s.lat !== (p.loc?.lat ?? null) || s.lon !== (p.loc?.lon ?? null) || s.acc !== (p.loc?.acc ?? null) ||
    s.manual !== (p.manual?.reason ?? null)
}

/** the new punches' condition for an open review: any of REVIEW_FLAGS among their comma-separated flags */
const REVIEW_WHERE = `flags <> '' AND (${REVIEW_FLAGS.map(f => `(',' || flags || ',') GLOB '*,${f},*'`).join(' OR ')})`

/**
 * What `PunchStore.write` runs around a transaction's inserts, as SQL: the largest id before them, then,
 * for the punches above it, their pending rows, the total, their reviews. The bench's raw baseline runs the
 * same statements, so that it stores rows the way this schema needs them (bench/raw-sqlite.ts).
 */
export const PUNCH_FILING = {
  lastId: 'SELECT coalesce(max(id), 0) FROM punches',
  pending: 'INSERT INTO pending (id, device, ts) SELECT id, device, ts FROM punches WHERE id > ?',
  pendingTotal: 'UPDATE pending_total SET n = n + ?',
  reviews: `INSERT INTO reviews (punch_id, upstream_id)
      SELECT id, COALESCE(source_id, device || ':' || epoch || ':' || seq) FROM punches WHERE id > ? AND ${REVIEW_WHERE}`
} as const

export class PunchStore {
  readonly #db: Db
  readonly #insert: Statement
  readonly #stored: Statement
  readonly #storedBySource: Statement
  readonly #lastId: Statement
  readonly #addPending: Statement
  readonly #addPendingTotal: Statement
  readonly #openReviews: Statement
  /** inside `write`: inserts are allowed and filed when it ends */
  #writing = false

  constructor (db: Db) {
    this.#db = db
    // AUTOINCREMENT: a new punch's id is above every id the table ever had, so the punches a transaction
    // added are exactly those above the largest id when it began (it holds the write lock throughout).
    this.#lastId = db.prepare(PUNCH_FILING.lastId).pluck()
    this.#addPending = db.prepare(PUNCH_FILING.pending)
    this.#addPendingTotal = db.prepare(PUNCH_FILING.pendingTotal)
    this.#openReviews = db.prepare(PUNCH_FILING.reviews)
    this.#insert = db.prepare(`INSERT OR IGNORE INTO punches
      (device, epoch, seq, ts, tz, emp, kind, method, clock, lat, lon, acc, manual, flags, received, up, person, source_id, source)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    this.#stored = db.prepare(`SELECT ts, emp, kind, method, clock, lat, lon, acc, manual
      FROM punches WHERE device = ? AND epoch = ? AND seq = ?`)
    this.#storedBySource = db.prepare(`SELECT ts, emp, kind, method, clock, lat, lon, acc, manual
      FROM punches WHERE device = ? AND source_id = ?`)
  }

  /**
   * Runs `inserts` (calls of `insert`, and whatever else the caller does between them) inside the caller's
   * transaction (in an IMMEDIATE one of its own outside any), then files the punches it added in the
   * pending set and opens their reviews, as the triggers of migrations 5 and 9 did row by row until
   * migration 10. If `inserts` throws, nothing is filed and the caller's transaction rolls the inserts back.
   * Nested in another `write`, it files nothing itself: the outer one files everything at its end.
   */
  write<T> (inserts: () => T): T {
    if (!this.#db.inTransaction) return this.#db.transaction(() => this.write(inserts)).immediate()
    if (this.#writing) return inserts()
    const from = this.#lastId.get() as number
    this.#writing = true
    let out: T
    try {
      out = inserts()
    } finally {
      this.#writing = false
    }
    const added = this.#addPending.run(from).changes
    if (added > 0) {
      this.#addPendingTotal.run(added)
      this.#openReviews.run(from)
    }
    return out
  }

  /**
   * Inserts one punch; runs inside `write`. Returns its id when it is new, 0 when (device, epoch, seq) (or
   * its source identity) was already stored.
   */
  insert (row: PunchRow, received: number): number {
    if (!this.#writing) throw new Error('PunchStore.insert runs inside PunchStore.write')
    const p = row.punch
    const loc = p.loc
    const info = this.#insert.run(
      row.device, row.epoch, p.seq, p.ts, row.tz ?? null, p.emp, p.kind, p.method, p.clock,
      loc?.lat ?? null, loc?.lon ?? null, loc?.acc ?? null, p.manual?.reason ?? null, row.flags, received, p.up ?? null, row.person ?? null,
      row.sourceId ?? null, row.source ?? null
    )
    return info.changes === 1 ? Number(info.lastInsertRowid) : 0
  }

  /**
   * For a punch whose insert changed nothing: does the stored copy say something else? Throws when there
   * is no stored copy at all: `OR IGNORE` also skips rows that break other constraints (NOT NULL), and
   * such a row must fail its batch, never be acknowledged as known.
   */
  differs (row: PunchRow): boolean {
    const s = (row.sourceId === undefined
      ? this.#stored.get(row.device, row.epoch, row.punch.seq)
      : this.#storedBySource.get(row.device, row.sourceId)) as StoredContent | undefined
    if (s === undefined) throw new Error(`punch ${row.sourceId ?? `${row.device}:${row.epoch}:${row.punch.seq}`} was neither stored nor found`)
    return contentDiffers(s, row.punch)
  }
}
