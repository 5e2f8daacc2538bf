/**
 * When a shift happens: the days it is worked within a window, and the nominal times of its punches on
 * one of those days. A shift belongs to the day it starts on, so a Friday night shift (22:00-06:00) is
 * worked on Friday and its `out` falls on Saturday.
 */
import type { PlannedPunch, ShiftSpec } from '../scenario/types.js'
import { DAY_MS, localMidnight, offsetInShift, shiftLengthMs, weekdayOf } from '../scenario/calendar.js'

export interface NominalPunch {
  kind: PlannedPunch['kind']
  /** ms since 1970 */
  at: number
  /** a break's return: `at` follows the person's own break-out by the break's length */
  breakLengthMs?: number
}

/**
 * Site-local midnights (UTC ms) of the days the shift is worked that can put a punch in [from, to): from
 * the day before `from` (last night's shift ends this morning) to the day holding `to`.
 */
export function shiftDays (shift: ShiftSpec, tz: number, from: number, to: number): number[] {
  const out: number[] = []
  for (let day = localMidnight(from, tz) - DAY_MS; day < to; day += DAY_MS) {
    if (shift.days.includes(weekdayOf(day, tz))) out.push(day)
  }
  return out
}

/** A day's punches at their nominal times, in the order they are made: in, each break out and back, out. */
export function nominalPunches (shift: ShiftSpec, day: number): NominalPunch[] {
  const begin = day + shift.startMs
  const breaks = shift.breaks
    .map(b => ({ off: offsetInShift(shift.startMs, b.startMs), len: b.lengthMs }))
    .sort((a, b) => a.off - b.off)
  const out: NominalPunch[] = [{ kind: 'in', at: begin }]
  for (const b of breaks) {
    out.push({ kind: 'break-out', at: begin + b.off })
    out.push({ kind: 'break-in', at: begin + b.off + b.len, breakLengthMs: b.len })
  }
  out.push({ kind: 'out', at: begin + shiftLengthMs(shift) })
  return out
}
