/**
 * The rules' history on PostgreSQL (gateway/rules/history.ts, `RuleHistory`), for one group commit. The
 * single box asks SQLite each question row by row inside its transaction; over a network that would be
 * three round trips a punch. Here one statement, inside the transaction that then stores the group, reads
 * every row's answers from the punches already stored (each row's window, month and neighbours, by
 * LATERAL index ranges on punches_person_ts and punches_device_emp_ts), and the group's own rows are
 * added in memory as the rules pass them, so a row sees the rows before it in the same commit exactly as
 * it does in SQLite (flag, then insert, row by row). test/fixtures/rule-history-contract.ts holds both to
 * the same answers.
 *
 * The answers are read for the exact questions the rules will ask (the double window, the row's site-local
 * month), so a question asked with other numbers is a bug and throws rather than answering wrong.
 */
import type pg from 'pg'
import type { LocatedPunch, PersonKey, RuleHistory, Self } from '../../rules/history.js'
import type { PunchRow } from '../../store/punch-store.js'

/** One row of the group as the rules will ask about it. */
export interface HistoryRow {
  row: PunchRow
  received: number
  /** the roster's employee for the row (its PersonKey.person) */
  person: string | undefined
  /** the window of the double rule, ms either side */
  nearMs: number
  /** the row's site-local month [from, to), for the over-limit rule */
  month: [number, number]
}

type Located = [number, number, number, number, string, number]

interface Answer {
  /** its dedup key is already stored: the insert will skip it, so it never becomes history */
  stored: boolean
  near: boolean
  manual: number
  before: LocatedPunch | undefined
  after: LocatedPunch | undefined
}

/** the row is `r`, the candidate `p`; the person's queries span devices, the badge's stay on one */
const NOT_SELF_BADGE = 'NOT (p.epoch = r.epoch AND p.seq = r.seq)'
const NOT_SELF_PERSON = 'NOT (p.device = r.device AND p.epoch = r.epoch AND p.seq = r.seq)'
const BADGE = 'p.device = r.device AND p.emp = r.emp'
const PERSON = 'p.person = r.person'
const LOCATED = 'jsonb_build_array(p.ts, p.lat, p.lon, p.acc, p.clock, p.received)'

function neighbour (dir: 'before' | 'after'): string {
  const cmp = dir === 'before' ? 'p.ts <= r.ts' : 'p.ts >= r.ts'
  // Ties go as SQLite's index scan takes them: the latest stored first going back, the earliest going forward.
  const order = dir === 'before' ? 'p.ts DESC, p.id DESC' : 'p.ts, p.id'
  return `CASE WHEN r.person IS NULL
    THEN (SELECT ${LOCATED} FROM punches p WHERE ${BADGE} AND ${cmp} AND p.lat IS NOT NULL AND ${NOT_SELF_BADGE} ORDER BY ${order} LIMIT 1)
    ELSE (SELECT ${LOCATED} FROM punches p WHERE ${PERSON} AND ${cmp} AND p.lat IS NOT NULL AND ${NOT_SELF_PERSON} ORDER BY ${order} LIMIT 1) END`
}

const ANSWERS = `
  SELECT
    -- a probe per row: as EXISTS the planner may hash the whole table once per group instead
    (SELECT true FROM punches p WHERE p.device = r.device AND p.epoch = r.epoch AND p.seq = r.seq LIMIT 1) IS NOT NULL
      OR (r.source_id IS NOT NULL AND (SELECT true FROM punches p WHERE p.device = r.device AND p.source_id = r.source_id LIMIT 1) IS NOT NULL) AS stored,
    CASE WHEN r.person IS NULL
      THEN EXISTS (SELECT 1 FROM punches p WHERE ${BADGE} AND p.ts BETWEEN r.near_from AND r.near_to AND ${NOT_SELF_BADGE})
      ELSE EXISTS (SELECT 1 FROM punches p WHERE ${PERSON} AND p.ts BETWEEN r.near_from AND r.near_to AND p.device = r.device AND ${NOT_SELF_BADGE}) END AS near,
    CASE WHEN r.person IS NULL
      THEN (SELECT count(*) FROM punches p WHERE ${BADGE} AND p.ts >= r.month_from AND p.ts < r.month_to AND p.method = 'manual' AND ${NOT_SELF_BADGE})
      ELSE (SELECT count(*) FROM punches p WHERE ${PERSON} AND p.ts >= r.month_from AND p.ts < r.month_to AND p.method = 'manual' AND ${NOT_SELF_PERSON}) END AS manual,
    ${neighbour('before')} AS before,
    ${neighbour('after')} AS after
  FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::text[], $6::text[], $7::text[], $8::int8[], $9::int8[], $10::int8[], $11::int8[])
    WITH ORDINALITY AS r (device, epoch, seq, ts, emp, person, source_id, near_from, near_to, month_from, month_to, ord)
  ORDER BY r.ord`

/** a group's own row once stored: what the rules may read of it */
interface Added extends LocatedPunch {
  device: string
  epoch: string
  seq: number
  method: string
  located: boolean
}

function located (v: Located | null): LocatedPunch | undefined {
  return v === null ? undefined : { ts: v[0], lat: v[1], lon: v[2], acc: v[3], clock: v[4], received: v[5] }
}

function identity (device: string, epoch: string, seq: number): string {
  return `${device}\u0000${epoch}\u0000${seq}`
}

function personIndex (k: PersonKey): string {
  return k.person !== undefined ? `p\u0000${k.person}` : `b\u0000${k.device}\u0000${k.emp}`
}

export class GroupHistory implements RuleHistory {
  readonly #rows: readonly HistoryRow[]
  readonly #answers: Answer[]
  /** the row the rules are asking about now (`select`) */
  #current = -1
  /** the group's rows stored so far, by person and by badge */
  readonly #added = new Map<string, Added[]>()
  /** dedup keys the group has stored so far: a later copy of one is a resend, not history */
  readonly #addedKeys = new Set<string>()

  private constructor (rows: readonly HistoryRow[], answers: Answer[]) {
    this.#rows = rows
    this.#answers = answers
  }

  /** Reads every row's answers in one statement on `c`, the connection of the transaction that will store them. */
  static async load (c: pg.ClientBase, rows: readonly HistoryRow[]): Promise<GroupHistory> {
    if (rows.length === 0) return new GroupHistory(rows, [])
    const cols: unknown[][] = Array.from({ length: 11 }, () => new Array<unknown>(rows.length))
    rows.forEach((h, i) => {
      const r = h.row
      const values = [r.device, r.epoch, r.punch.seq, r.punch.ts, r.punch.emp, h.person ?? null, r.sourceId ?? null,
        r.punch.ts - h.nearMs, r.punch.ts + h.nearMs, h.month[0], h.month[1]]
      for (let k = 0; k < values.length; k++) cols[k][i] = values[k]
    })
    const res = await c.query<{ stored: boolean, near: boolean, manual: number, before: Located | null, after: Located | null }>(ANSWERS, cols)
    return new GroupHistory(rows, res.rows.map(a => ({ stored: a.stored, near: a.near, manual: Number(a.manual), before: located(a.before), after: located(a.after) })))
  }

  /** The rules are about to ask about row `i` (a punch may be in a group twice, so its identity alone does not say which). */
  select (i: number): void {
    this.#current = i
  }

  /**
   * Row `i` has been flagged and now goes in: unless its key is stored already or came earlier in the
   * group, later rows see it (SQLite's INSERT OR IGNORE, which skips on either dedup key).
   */
  add (i: number): void {
    const h = this.#rows[i]
    const r = h.row
    const keys = [`e\u0000${identity(r.device, r.epoch, r.punch.seq)}`]
    if (r.sourceId !== undefined) keys.push(`s\u0000${r.device}\u0000${r.sourceId}`)
    if (this.#answers[i].stored || keys.some(k => this.#addedKeys.has(k))) return
    for (const k of keys) this.#addedKeys.add(k)
    const p = r.punch
    const added: Added = {
      device: r.device,
      epoch: r.epoch,
      seq: p.seq,
      method: p.method,
      ts: p.ts,
      located: p.loc !== undefined,
      lat: p.loc?.lat ?? 0,
      lon: p.loc?.lon ?? 0,
      acc: p.loc?.acc ?? 0,
      clock: p.clock,
      received: h.received
    }
    const badge = personIndex({ device: r.device, emp: p.emp, person: undefined })
    this.#push(badge, added)
    if (h.person !== undefined) this.#push(personIndex({ device: r.device, emp: p.emp, person: h.person }), added)
  }

  hasNear (k: PersonKey, self: Self, ts: number, windowMs: number): boolean {
    const i = this.#asked(k, self)
    const h = this.#rows[i]
    if (windowMs !== h.nearMs || ts !== h.row.punch.ts) throw new Error(`history: asked about a window (${windowMs} ms at ${ts}) it did not read`)
    if (this.#answers[i].near) return true
    return this.#others(k, self).some(a => a.device === k.device && a.ts >= ts - windowMs && a.ts <= ts + windowMs)
  }

  neighbours (k: PersonKey, self: Self, ts: number): [LocatedPunch | undefined, LocatedPunch | undefined] {
    const i = this.#asked(k, self)
    if (ts !== this.#rows[i].row.punch.ts) throw new Error(`history: asked about neighbours at ${ts}, read at ${this.#rows[i].row.punch.ts}`)
    let { before, after } = this.#answers[i]
    // The group's rows were stored after every row read: on a tie they come first going back, last going forward.
    for (const a of this.#others(k, self)) {
      if (!a.located) continue
      if (a.ts <= ts && (before === undefined || a.ts >= before.ts)) before = a
      if (a.ts >= ts && (after === undefined || a.ts < after.ts)) after = a
    }
    return [plain(before), plain(after)]
  }

  manualCount (k: PersonKey, self: Self, from: number, to: number): number {
    const i = this.#asked(k, self)
    const [f, t] = this.#rows[i].month
    if (from !== f || to !== t) throw new Error(`history: asked about a month [${from}, ${to}) it did not read`)
    return this.#answers[i].manual + this.#others(k, self).filter(a => a.method === 'manual' && a.ts >= from && a.ts < to).length
  }

  #push (key: string, added: Added): void {
    const list = this.#added.get(key)
    if (list === undefined) this.#added.set(key, [added])
    else list.push(added)
  }

  #asked (k: PersonKey, self: Self): number {
    const i = this.#current
    const r = this.#rows[i]?.row
    if (r === undefined || r.device !== k.device || r.epoch !== self.epoch || r.punch.seq !== self.seq || this.#rows[i].person !== k.person) throw new Error(`history: asked about a punch it did not read (${k.device}:${self.epoch}:${self.seq})`)
    return i
  }

  /** the group's rows stored so far that this question may see: the person's (or the badge's), never the punch itself */
  #others (k: PersonKey, self: Self): Added[] {
    const list = this.#added.get(personIndex(k)) ?? []
    return list.filter(a => !(a.device === k.device && a.epoch === self.epoch && a.seq === self.seq))
  }
}

function plain (p: LocatedPunch | undefined): LocatedPunch | undefined {
  return p === undefined ? undefined : { ts: p.ts, lat: p.lat, lon: p.lon, acc: p.acc, clock: p.clock, received: p.received }
}
