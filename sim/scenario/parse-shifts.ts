/**
 * A site's `shifts:`: when people arrive, break and leave, on which weekdays, and which share of the staff
 * works each. A shift whose end is before its start ends the next day (a night shift); its breaks may
 * fall either side of midnight.
 */
import type { ShiftSpec } from './types.js'
import { SCENARIO_DEFAULTS as D } from './defaults.js'
import { DAY_MS, parseTimeOfDay, parseWeekdays } from './calendar.js'
import { formatDuration, parseDuration } from './duration.js'
import { Problems, at, list, numberIn, optional, parsed, record, required, text } from './problems.js'

const SHIFT_FIELDS = ['name', 'start', 'end', 'days', 'breaks', 'staffShare', 'spread'] as const
const BREAK_FIELDS = ['start', 'length'] as const

/** Shares must add up to 1 within this: '0.33' three times is what people write. */
const SHARE_TOLERANCE = 0.011

/** The shift's length in ms (a night shift's crosses midnight). */
export function shiftLengthMs (s: Pick<ShiftSpec, 'startMs' | 'endMs'>): number {
  return ((s.endMs - s.startMs) % DAY_MS + DAY_MS) % DAY_MS || DAY_MS
}

/** ms from the shift's start to a time of day inside it (the next day's when the shift crosses midnight). */
export function offsetInShift (shiftStartMs: number, timeOfDayMs: number): number {
  return ((timeOfDayMs - shiftStartMs) % DAY_MS + DAY_MS) % DAY_MS
}

interface ParsedShift { shift: ShiftSpec, shareGiven: boolean }

function parseShift (p: Problems, path: string, raw: unknown, index: number): ParsedShift {
  const r = record(p, path, raw, SHIFT_FIELDS) ?? {}
  const name = optional(r.name, `shift${index + 1}`, v => text(p, at(path, 'name'), v, /^\S.{0,63}$/, 'a name of 1 to 64 characters'))
  const startMs = required(p, at(path, 'start'), r.start) ? parsed(p, at(path, 'start'), r.start, v => parseTimeOfDay(v)) ?? 0 : 0
  const endRaw = required(p, at(path, 'end'), r.end) ? parsed(p, at(path, 'end'), r.end, v => parseTimeOfDay(v, true)) : undefined
  const endMs = endRaw === undefined ? (startMs + 3_600_000) % DAY_MS : endRaw % DAY_MS
  if (endRaw !== undefined && endMs === startMs) p.add(at(path, 'end'), 'must differ from start (a shift of 0 or 24 hours)')
  const days = optional(r.days, parseWeekdays(D.shiftDays) as ShiftSpec['days'], v => parsed(p, at(path, 'days'), v, parseWeekdays))
  const spreadMs = optional(r.spread, D.spreadMs as number, v => {
    const ms = parsed(p, at(path, 'spread'), v, parseDuration)
    if (ms !== undefined && ms > 2 * 3_600_000) { p.add(at(path, 'spread'), `must be at most 2h (got ${formatDuration(ms)}): arrivals spread wider than that are not one shift`); return undefined }
    return ms
  })
  const shareGiven = r.staffShare !== undefined && r.staffShare !== null
  const staffShare = optional(r.staffShare, 0, v => numberIn(p, at(path, 'staffShare'), v, 0, 1))
  const shift: ShiftSpec = { name, startMs, endMs, days, breaks: [], staffShare, spreadMs }
  shift.breaks = optional(r.breaks, [], v => list(p, at(path, 'breaks'), v))
    .map((b, i) => parseBreak(p, at(at(path, 'breaks'), i), b, shift))
  checkBreaksApart(p, at(path, 'breaks'), shift)
  return { shift, shareGiven }
}

function parseBreak (p: Problems, path: string, raw: unknown, shift: ShiftSpec): ShiftSpec['breaks'][number] {
  const r = record(p, path, raw, BREAK_FIELDS) ?? {}
  const startMs = required(p, at(path, 'start'), r.start) ? parsed(p, at(path, 'start'), r.start, v => parseTimeOfDay(v)) : undefined
  const lengthMs = required(p, at(path, 'length'), r.length) ? parsed(p, at(path, 'length'), r.length, parseDuration) : undefined
  if (lengthMs === 0) p.add(at(path, 'length'), 'must be longer than 0')
  if (startMs !== undefined && lengthMs !== undefined) {
    const offset = offsetInShift(shift.startMs, startMs)
    if (offset === 0 || offset + lengthMs >= shiftLengthMs(shift)) p.add(path, `must start after the shift starts and end before it ends (shift '${shift.name}')`)
  }
  return { startMs: startMs ?? 0, lengthMs: lengthMs ?? 0 }
}

/** Two breaks of one shift that overlap would have a person punch out for a break while already out. */
function checkBreaksApart (p: Problems, path: string, shift: ShiftSpec): void {
  const spans = shift.breaks
    .map((b, i) => ({ i, from: offsetInShift(shift.startMs, b.startMs), to: offsetInShift(shift.startMs, b.startMs) + b.lengthMs }))
    .sort((a, b) => a.from - b.from)
  for (let k = 1; k < spans.length; k++) {
    if (spans[k].from <= spans[k - 1].to) p.add(at(path, spans[k].i), `overlaps breaks[${spans[k - 1].i}]`)
  }
}

/**
 * Shares left out split what the others leave evenly; together they must make the whole staff, so that
 * a share typed wrong does not quietly send people home.
 */
function fillShares (p: Problems, path: string, shifts: ParsedShift[]): void {
  const given = shifts.filter(s => s.shareGiven)
  const sum = given.reduce((n, s) => n + s.shift.staffShare, 0)
  const open = shifts.length - given.length
  if (open > 0) {
    const each = (1 - sum) / open
    if (each <= 0) p.add(path, `the staffShare given add up to ${round(sum)}, leaving nothing for ${open} shift${open === 1 ? '' : 's'} without one`)
    for (const s of shifts) if (!s.shareGiven) s.shift.staffShare = Math.max(0, each)
  } else if (shifts.length > 0 && Math.abs(sum - 1) > SHARE_TOLERANCE) {
    p.add(path, `the shifts' staffShare add up to ${round(sum)}; they must add up to 1 (leave one out to give it the rest)`)
  }
}

function round (n: number): number { return Math.round(n * 1000) / 1000 }

export function parseShifts (p: Problems, path: string, raw: unknown, needed: boolean): ShiftSpec[] {
  const entries = optional(raw, [], v => list(p, path, v, needed ? 1 : 0))
  if (needed && (raw === undefined || raw === null)) p.add(path, 'is required: the site has staff, and they need a shift to punch')
  const shifts = entries.map((s, i) => parseShift(p, at(path, i), s, i))
  const names = new Set<string>()
  shifts.forEach((s, i) => {
    if (names.has(s.shift.name)) p.add(at(at(path, i), 'name'), `'${s.shift.name}' is already a shift of this site`)
    names.add(s.shift.name)
  })
  fillShares(p, path, shifts)
  return shifts.map(s => s.shift)
}
