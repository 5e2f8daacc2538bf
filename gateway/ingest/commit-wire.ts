/**
 * A group's rows as they cross to the commit thread: one flat array of strings and numbers per job, not
 * row objects. postMessage copies with V8's serializer, which writes every property name and builds every
 * object again on the other side; for punch rows that cost several times what a flat array of their
 * values does, on both threads (docs/DESIGN-NOTES.md, "The pipelined group commit", has the figures).
 */
import type { ClockJumpInfo } from '../rules/rules.js'
import type { BadgeLookup } from '../rules/roster.js'
import type { FlagInputs } from '../rules/flagger.js'
import type { Punch } from '../../shared/punch.js'
import type { PunchRow } from '../store/punch-store.js'

type Cell = string | number | null

/** values per row in `WireJob.cells` */
export const ROW_CELLS = 14

export interface WireJob {
  received: number
  /** each row's device, epoch, tz, seq, ts, emp, kind, method, clock, lat, lon, acc, manual reason, up */
  cells: Cell[]
  /** per row, the roster's answer: 0 no roster entry covers the device, 1 covered but unknown, else the employee */
  badges?: Array<0 | 1 | string>
  /** per row, the device's last big clock correction as [byMs, at], or null */
  jumps?: Array<[number, number] | null>
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

export function encodeJob (rows: PunchRow[], received: number, inputs?: (row: PunchRow) => FlagInputs): WireJob {
  const cells: Cell[] = new Array(rows.length * ROW_CELLS)
  const badges: Array<0 | 1 | string> | undefined = inputs === undefined ? undefined : new Array(rows.length)
  const jumps: Array<[number, number] | null> | undefined = inputs === undefined ? undefined : new Array(rows.length)
  let sources: Array<[string, string | null] | null> | undefined
  let at = 0
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]
    const p = r.punch
    if (r.sourceId !== undefined) {
      sources ??= new Array(rows.length).fill(null)
      sources[i] = [r.sourceId, r.source ?? null]
    }
    cells[at++] = r.device
    cells[at++] = r.epoch
    cells[at++] = r.tz ?? null
    cells[at++] = p.seq
    cells[at++] = p.ts
    cells[at++] = p.emp
    cells[at++] = p.kind
    cells[at++] = p.method
    cells[at++] = p.clock
    cells[at++] = p.loc?.lat ?? null
    cells[at++] = p.loc?.lon ?? null
    cells[at++] = p.loc?.acc ?? null
    cells[at++] = p.manual?.reason ?? null
    cells[at++] = p.up ?? null
    if (inputs !== undefined) {
      const { badge, jump } = inputs(r)
      badges![i] = !badge.configured ? 0 : badge.employee ?? 1
      jumps![i] = jump === undefined ? null : [jump.byMs, jump.at]
    }
  }
  const job: WireJob = badges === undefined ? { received, cells } : { received, cells, badges, jumps }
  if (sources !== undefined) job.sources = sources
  return job
}

export function decodeJob (w: WireJob): DecodedJob {
  const { cells } = w
  const n = cells.length / ROW_CELLS
  const rows: PunchRow[] = new Array(n)
  for (let i = 0, at = 0; i < n; i++, at += ROW_CELLS) {
    const punch: Punch = {
      seq: cells[at + 3] as number,
      ts: cells[at + 4] as number,
      emp: cells[at + 5] as string,
      kind: cells[at + 6] as Punch['kind'],
      method: cells[at + 7] as Punch['method'],
      clock: cells[at + 8] as Punch['clock']
    }
    if (cells[at + 9] !== null) punch.loc = { lat: cells[at + 9] as number, lon: cells[at + 10] as number, acc: cells[at + 11] as number }
    if (cells[at + 12] !== null) punch.manual = { reason: cells[at + 12] as string }
    if (cells[at + 13] !== null) punch.up = cells[at + 13] as number
    const tz = cells[at + 2]
    rows[i] = { device: cells[at] as string, epoch: cells[at + 1] as string, tz: tz === null ? undefined : tz as number, punch, flags: '' }
    const source = w.sources?.[i]
    if (source != null) {
      rows[i].sourceId = source[0]
      if (source[1] !== null) rows[i].source = source[1]
    }
  }
  if (w.badges === undefined || w.jumps === undefined) return { rows, received: w.received }
  const inputs: FlagInputs[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const b = w.badges[i]
    const j = w.jumps[i]
    const jump: ClockJumpInfo | undefined = j === null ? undefined : { byMs: j[0], at: j[1] }
    inputs[i] = { badge: b === 0 ? UNCONFIGURED : b === 1 ? UNKNOWN : { configured: true, employee: b }, jump }
  }
  return { rows, received: w.received, inputs }
}
