/**
 * A group's rows as they cross to the commit thread: per job, the numbers of all its rows in one
 * Float64Array and its distinct strings once, not row objects. postMessage copies with V8's serializer,
 * which writes every property name and builds every object again on the other side; for punch rows that
 * cost several times what a flat array of their values does, on both threads, and a flat array of mixed
 * values still wrote each string again (a job's device and epoch on every row) and tagged each value. A
 * typed array crosses as one copy of its bytes (docs/DESIGN-NOTES.md, "The pipelined group commit", has
 * the figures).
 */
import type { ClockJumpInfo } from '../rules/rules.js'
import type { BadgeLookup } from '../rules/roster.js'
import type { FlagInputs } from '../rules/flagger.js'
import { CLOCK_STATES, PUNCH_KINDS, PUNCH_METHODS, type Punch } from '../../shared/punch.js'
import type { PunchRow } from '../store/punch-store.js'

/** numbers per row in `WireJob.cells` */
const ROW_CELLS = 14

export interface WireJob {
  received: number
  /** the job's distinct strings, which the cells name by index */
  strings: string[]
  /**
   * Each row's device, epoch, tz, seq, ts, emp, kind, method, clock, lat, lon, acc, manual reason, up. The
   * strings are indexes into `strings`, except kind, method and clock: their index in the contract's list
   * (shared/punch.ts), or -1 - an index into `strings` for a value outside it. NaN: absent.
   */
  cells: Float64Array
  /**
   * Per row, the roster's answer and the device's last big clock correction: [badge, byMs, at], the badge
   * -1 when no roster entry covers the device, -2 when it does but not this badge, else the employee's index
   * in `strings`; byMs and at NaN without a correction
   */
  inputs?: Float64Array
  /** per row, its source identity and details (PunchRow.sourceId, .source), or null; absent when no row has one */
  sources?: Array<[string, string | null] | null>
}

export interface DecodedJob {
  rows: PunchRow[]
  received: number
  inputs?: FlagInputs[]
}

const UNCONFIGURED: BadgeLookup = { configured: false }
const UNKNOWN: BadgeLookup = { configured: true }
const NOT_COVERED = -1
const NOT_KNOWN = -2

/** The strings of one job, each once. */
class StringTable {
  readonly list: string[] = []
  readonly #at = new Map<string, number>()

  of (s: string): number {
    let i = this.#at.get(s)
    if (i === undefined) {
      i = this.list.length
      this.list.push(s)
      this.#at.set(s, i)
    }
    return i
  }

  /** A value of a fixed list by its place in it; outside the list (never, for a validated punch) as a string. */
  code (list: readonly string[], s: string): number {
    const i = list.indexOf(s)
    return i >= 0 ? i : -1 - this.of(s)
  }
}

const orNaN = (n: number | undefined): number => n ?? NaN

export function encodeJob (rows: PunchRow[], received: number, inputsOf?: (row: PunchRow) => FlagInputs): WireJob {
  const strings = new StringTable()
  const cells = new Float64Array(rows.length * ROW_CELLS)
  const inputs = inputsOf === undefined ? undefined : new Float64Array(rows.length * 3)
  let sources: Array<[string, string | null] | null> | undefined
  let at = 0
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]
    const p = r.punch
    if (r.sourceId !== undefined) {
      sources ??= new Array(rows.length).fill(null)
      sources[i] = [r.sourceId, r.source ?? null]
    }
    cells[at++] = strings.of(r.device)
    cells[at++] = strings.of(r.epoch)
    cells[at++] = orNaN(r.tz)
    cells[at++] = p.seq
    cells[at++] = p.ts
    cells[at++] = strings.of(p.emp)
    cells[at++] = strings.code(PUNCH_KINDS, p.kind)
    cells[at++] = strings.code(PUNCH_METHODS, p.method)
    cells[at++] = strings.code(CLOCK_STATES, p.clock)
    cells[at++] = orNaN(p.loc?.lat)
    cells[at++] = orNaN(p.loc?.lon)
    cells[at++] = orNaN(p.loc?.acc)
    cells[at++] = p.manual === undefined ? NaN : strings.of(p.manual.reason)
    cells[at++] = orNaN(p.up)
    if (inputs !== undefined) {
      const { badge, jump } = inputsOf!(r)
      inputs[i * 3] = !badge.configured ? NOT_COVERED : badge.employee === undefined ? NOT_KNOWN : strings.of(badge.employee)
      inputs[i * 3 + 1] = orNaN(jump?.byMs)
      inputs[i * 3 + 2] = orNaN(jump?.at)
    }
  }
  const job: WireJob = inputs === undefined ? { received, strings: strings.list, cells } : { received, strings: strings.list, cells, inputs }
  if (sources !== undefined) job.sources = sources
  return job
}

/** rows in a job as it crossed */
export const wireRows = (w: WireJob): number => w.cells.length / ROW_CELLS

export function decodeJob (w: WireJob): DecodedJob {
  const { cells, strings } = w
  const coded = <T>(list: readonly T[], c: number): T => (c >= 0 ? list[c] : strings[-1 - c]) as T
  const n = wireRows(w)
  const rows: PunchRow[] = new Array(n)
  for (let i = 0, at = 0; i < n; i++, at += ROW_CELLS) {
    const punch: Punch = {
      seq: cells[at + 3],
      ts: cells[at + 4],
      emp: strings[cells[at + 5]],
      kind: coded(PUNCH_KINDS, cells[at + 6]),
      method: coded(PUNCH_METHODS, cells[at + 7]),
      clock: coded(CLOCK_STATES, cells[at + 8])
    }
    if (!Number.isNaN(cells[at + 9])) punch.loc = { lat: cells[at + 9], lon: cells[at + 10], acc: cells[at + 11] }
    if (!Number.isNaN(cells[at + 12])) punch.manual = { reason: strings[cells[at + 12]] }
    if (!Number.isNaN(cells[at + 13])) punch.up = cells[at + 13]
    const tz = cells[at + 2]
    rows[i] = { device: strings[cells[at]], epoch: strings[cells[at + 1]], tz: Number.isNaN(tz) ? undefined : tz, punch, flags: '' }
    const source = w.sources?.[i]
    if (source != null) {
      rows[i].sourceId = source[0]
      if (source[1] !== null) rows[i].source = source[1]
    }
  }
  if (w.inputs === undefined) return { rows, received: w.received }
  const inputs: FlagInputs[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const b = w.inputs[i * 3]
    const byMs = w.inputs[i * 3 + 1]
    const jump: ClockJumpInfo | undefined = Number.isNaN(byMs) ? undefined : { byMs, at: w.inputs[i * 3 + 2] }
    inputs[i] = { badge: b === NOT_COVERED ? UNCONFIGURED : b === NOT_KNOWN ? UNKNOWN : { configured: true, employee: strings[b] }, jump }
  }
  return { rows, received: w.received, inputs }
}
