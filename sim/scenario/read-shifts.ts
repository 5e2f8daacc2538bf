/**
 * A site's checked `shifts:` read into ShiftSpecs, with what needs the whole shift or the whole site:
 * breaks inside their shift and apart, names unique, staff shares that make the whole staff. A shift
 * whose end is before its start ends the next day (a night shift); its breaks may fall either side of
 * midnight.
 */
import type { SettingProblems } from '../../shared/settings-check.js'
import { settingPath as at } from '../../shared/settings-check.js'
import type { ShiftSpec } from './types.js'
import { SCENARIO_DEFAULTS as D } from './defaults.js'
import { DAY_MS, offsetInShift, parseTimeOfDay, parseWeekdays, shiftLengthMs } from './calendar.js'
import { formatDuration, parseDuration } from './duration.js'
import { entriesOf, fieldsOf, fitting, readAt, valueOf } from './reading.js'

/** Shares must add up to 1 within this: '0.33' three times is what people write. */
const SHARE_TOLERANCE = 0.011
const MAX_SPREAD_MS = 2 * 3_600_000

const spread = fitting(parseDuration, ms => ms > MAX_SPREAD_MS ? `must be at most 2h (got ${formatDuration(ms)}): arrivals spread wider than that are not one shift` : undefined)
const breakLength = fitting(parseDuration, ms => ms === 0 ? 'must be longer than 0' : undefined)

interface ReadShift { shift: ShiftSpec, shareGiven: boolean }

function readShift (p: SettingProblems, path: string, raw: unknown, index: number): ReadShift {
  const r = fieldsOf(raw)
  const name = valueOf(p, at(path, 'name'), r.name, `shift${index + 1}`)
  const startMs = readAt(p, at(path, 'start'), r.start, 0, v => parseTimeOfDay(v))
  const endRaw = readAt<number | undefined>(p, at(path, 'end'), r.end, undefined, v => parseTimeOfDay(v, true))
  const endMs = endRaw === undefined ? (startMs + 3_600_000) % DAY_MS : endRaw % DAY_MS
  if (endRaw !== undefined && endMs === startMs) p.add(at(path, 'end'), 'must differ from start (a shift of 0 or 24 hours)')
  const days = readAt(p, at(path, 'days'), r.days, parseWeekdays(D.shiftDays) as ShiftSpec['days'], parseWeekdays)
  const spreadMs = readAt(p, at(path, 'spread'), r.spread, D.spreadMs as number, spread)
  const shareGiven = r.staffShare !== undefined
  const staffShare = valueOf(p, at(path, 'staffShare'), r.staffShare, 0)
  const shift: ShiftSpec = { name, startMs, endMs, days, breaks: [], staffShare, spreadMs }
  shift.breaks = entriesOf(r.breaks).map((b, i) => readBreak(p, at(at(path, 'breaks'), i), b, shift))
  checkBreaksApart(p, at(path, 'breaks'), shift)
  return { shift, shareGiven }
}

function readBreak (p: SettingProblems, path: string, raw: unknown, shift: ShiftSpec): ShiftSpec['breaks'][number] {
  const r = fieldsOf(raw)
  const startMs = readAt<number | undefined>(p, at(path, 'start'), r.start, undefined, v => parseTimeOfDay(v))
  const lengthMs = readAt<number | undefined>(p, at(path, 'length'), r.length, undefined, breakLength)
  if (startMs !== undefined && lengthMs !== undefined) {
    const offset = offsetInShift(shift.startMs, startMs)
    if (offset === 0 || offset + lengthMs >= shiftLengthMs(shift)) p.add(path, `must start after the shift starts and end before it ends (shift '${shift.name}')`)
  }
  return { startMs: startMs ?? 0, lengthMs: lengthMs ?? 0 }
}

/** Two breaks of one shift that overlap would have a person punch out for a break while already out. */
function checkBreaksApart (p: SettingProblems, path: string, shift: ShiftSpec): void {
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
function fillShares (p: SettingProblems, path: string, shifts: ReadShift[]): void {
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

/** `staffed`: the site has people, who need a shift to punch. */
export function readShifts (p: SettingProblems, path: string, raw: unknown, staffed: boolean): ShiftSpec[] {
  if (staffed && raw === undefined) p.add(path, 'is required: the site has staff, and they need a shift to punch')
  else if (staffed && Array.isArray(raw) && raw.length === 0) p.add(path, 'must have at least 1 entry: the site has staff, and they need a shift to punch')
  const shifts = entriesOf(raw).map((s, i) => readShift(p, at(path, i), s, i))
  const names = new Set<string>()
  shifts.forEach((s, i) => {
    if (names.has(s.shift.name)) p.add(at(at(path, i), 'name'), `'${s.shift.name}' is already a shift of this site`)
    names.add(s.shift.name)
  })
  fillShares(p, path, shifts)
  return shifts.map(s => s.shift)
}
