/**
 * Site-local calendar for scenarios: times of day and the spans of shifts, UTC offsets, weekdays, the
 * start date, and moments on the timeline written as 'fri 18:00'. A site's tz is a fixed offset (no
 * daylight saving), which is what devices stamp (`tz` in PROTOCOL.md) and keeps a week of virtual time
 * free of 23- and 25-hour days.
 */
import { LIMITS } from '../../shared/punch.js'
import type { ShiftSpec, Weekday } from './types.js'
import { parseDuration } from './duration.js'

export const DAY_MS = 86_400_000

/** Monday first, as shift rotas are written; index = (JS getUTCDay() + 6) % 7. */
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']

type Parsed<T> = T | { error: string }

export function isError (v: unknown): v is { error: string } {
  return typeof v === 'object' && v !== null && 'error' in v
}

/** 'HH:MM' or 'HH:MM:SS' → ms after local midnight; '24:00' only where `allowMidnightEnd` (a shift's end). */
export function parseTimeOfDay (value: unknown, allowMidnightEnd = false): Parsed<number> {
  const m = typeof value === 'string' ? /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim()) : null
  if (m === null) return { error: "must be a time of day 'HH:MM' (quote it in YAML: '08:00')" }
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)]
  if (allowMidnightEnd && h === 24 && min === 0 && s === 0) return DAY_MS
  if (h > 23 || min > 59 || s > 59) return { error: `'${value as string}' is not a time of day (00:00 to 23:59${allowMidnightEnd ? ', or 24:00' : ''})` }
  return ((h * 60 + min) * 60 + s) * 1000
}

/** A shift's length in ms (a night shift's crosses midnight). */
export function shiftLengthMs (s: Pick<ShiftSpec, 'startMs' | 'endMs'>): number {
  return ((s.endMs - s.startMs) % DAY_MS + DAY_MS) % DAY_MS || DAY_MS
}

/** ms from a shift's start to a time of day inside it (the next day's when the shift crosses midnight). */
export function offsetInShift (shiftStartMs: number, timeOfDayMs: number): number {
  return ((timeOfDayMs - shiftStartMs) % DAY_MS + DAY_MS) % DAY_MS
}

/** '+08:00', '-05:30', '+0800', 'Z' / 'UTC', or whole minutes east of UTC → minutes. */
export function parseTz (value: unknown): Parsed<number> {
  const range = `between ${LIMITS.minTz} and ${LIMITS.maxTz} minutes ('-12:00' to '+14:00')`
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < LIMITS.minTz || value > LIMITS.maxTz) return { error: `must be whole minutes ${range}` }
    return value
  }
  if (typeof value !== 'string') return { error: "must be a UTC offset like '+08:00' or minutes like 480" }
  const text = value.trim().toUpperCase()
  if (text === 'Z' || text === 'UTC') return 0
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(text)
  if (m === null) return { error: `'${value}' is not a UTC offset like '+08:00' or '-05:30'` }
  const minutes = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]))
  if (Number(m[3]) > 59 || minutes < LIMITS.minTz || minutes > LIMITS.maxTz) return { error: `'${value}' must be ${range}` }
  return minutes
}

export function formatTz (minutes: number): string {
  const a = Math.abs(minutes)
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`
}

function weekdayName (word: string): Weekday | undefined {
  const w = word.trim().toLowerCase()
  const short = w.slice(0, 3) as Weekday
  if (!WEEKDAYS.includes(short)) return undefined
  const full = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'][WEEKDAYS.indexOf(short)]
  return w === short || w === full ? short : undefined
}

/**
 * 'mon-fri', 'mon,wed,fri', 'mon-fri, sun', 'daily', or a list of those → weekdays in week order.
 * A range may wrap ('fri-mon' is fri, sat, sun, mon), as weekend rotas do.
 */
export function parseWeekdays (value: unknown): Parsed<Weekday[]> {
  const parts: unknown[] = Array.isArray(value) ? value : [value]
  const days = new Set<Weekday>()
  for (const part of parts) {
    if (typeof part !== 'string') return { error: "must be weekdays like 'mon-fri', 'sat,sun', 'daily' or a list of them" }
    for (const piece of part.split(',')) {
      const p = piece.trim().toLowerCase()
      if (p === 'daily' || p === 'every day') { for (const d of WEEKDAYS) days.add(d); continue }
      const [a, b, extra] = p.split('-')
      const from = weekdayName(a)
      const to = b === undefined ? from : weekdayName(b)
      if (from === undefined || to === undefined || extra !== undefined) return { error: `'${piece.trim()}' is not a weekday or range (mon, tue, wed, thu, fri, sat, sun; 'mon-fri')` }
      for (let i = WEEKDAYS.indexOf(from); ; i = (i + 1) % 7) {
        days.add(WEEKDAYS[i])
        if (WEEKDAYS[i] === to) break
      }
    }
  }
  if (days.size === 0) return { error: 'must name at least one weekday' }
  return WEEKDAYS.filter(d => days.has(d))
}

/** UTC ms of the site-local midnight that begins the local day holding `ts`. */
export function localMidnight (ts: number, tz: number): number {
  const shift = tz * 60_000
  return Math.floor((ts + shift) / DAY_MS) * DAY_MS - shift
}

/** The site-local weekday of `ts`. */
export function weekdayOf (ts: number, tz: number): Weekday {
  return WEEKDAYS[(new Date(ts + tz * 60_000).getUTCDay() + 6) % 7]
}

/**
 * The scenario's start: '2026-11-23' (site-local midnight), '2026-11-23T06:00' (site-local), an ISO time
 * with 'Z' or an offset (absolute), or ms since 1970. `tz` is the first site's: a date alone names a day
 * at the place the scenario is about, never the machine's own zone.
 */
export function parseStart (value: unknown, tz: number): Parsed<number> {
  const bounds = (ms: number): Parsed<number> => ms >= LIMITS.minTs && ms < LIMITS.maxTs ? ms : { error: 'must fall between the years 2000 and 2100' }
  if (typeof value === 'number') return Number.isFinite(value) ? bounds(Math.round(value)) : { error: 'must be a date' }
  const m = typeof value === 'string'
    ? /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(value.trim())
    : null
  if (m === null) return { error: "must be a date like '2026-11-23' or an ISO time like '2026-11-23T06:00:00+08:00'" }
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map(i => Number(m[i] ?? 0))
  const local = Date.UTC(y, mo - 1, d, h, mi, s, Number((m[7] ?? '').padEnd(3, '0')))
  const check = new Date(local)
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return { error: `'${value as string}' is not a real date and time` }
  }
  const offset = m[8] === undefined ? tz : parseTz(m[8])
  if (isError(offset)) return offset
  return bounds(local - offset * 60_000)
}

/**
 * A moment on the scenario's timeline, as ms after the start: a duration ('4d18h', '90m', 0) or the first
 * site-local weekday and time at or after the start ('fri 18:00'), so a weekend outage reads as one.
 */
export function parseTimelineAt (value: unknown, startMs: number, tz: number): Parsed<number> {
  if (typeof value === 'string') {
    const m = /^([a-z]+)\s+(\d{1,2}:\d{2}(?::\d{2})?)$/i.exec(value.trim())
    const day = m === null ? undefined : weekdayName(m[1])
    if (m !== null && day !== undefined) {
      const tod = parseTimeOfDay(m[2])
      if (isError(tod)) return tod
      for (let k = 0; k <= 7; k++) {
        const midnight = localMidnight(startMs, tz) + k * DAY_MS
        const at = midnight + tod
        if (at >= startMs && weekdayOf(midnight, tz) === day) return at - startMs
      }
    }
    if (m !== null) return { error: `'${value}' is not a weekday and time like 'fri 18:00'` }
  }
  const d = parseDuration(value)
  if (isError(d)) return { error: `must be a time after the start: ${d.error.replace(/^must be /, '')}, or a weekday and time like 'fri 18:00'` }
  return d
}
