/**
 * How the simulator's outputs write virtual times, durations and counts. Deterministic on purpose: no
 * `toLocaleString`, whose result depends on the machine's locale and ICU data, so a report reads the
 * same wherever it is produced and tests can compare exact text.
 */

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

const MINUTE = 60_000
const HOUR = 3_600_000
const DAY = 86_400_000

function pad2 (n: number): string { return String(n).padStart(2, '0') }

/** The wall clock at the site: a Date whose UTC fields read as site-local time. */
function local (ms: number, tzMinutes: number): Date { return new Date(ms + tzMinutes * MINUTE) }

/** "Tue 2026-11-24 14:30", site-local. */
export function siteDateTime (ms: number, tzMinutes: number): string {
  const d = local(ms, tzMinutes)
  return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`
}

/** "14:30", or "14:30:05" when `seconds`. */
export function siteClock (ms: number, tzMinutes: number, seconds = false): string {
  const d = local(ms, tzMinutes)
  const hm = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`
  return seconds ? `${hm}:${pad2(d.getUTCSeconds())}` : hm
}

/** "Tue 24 Nov": short enough for an axis tick. */
export function siteDay (ms: number, tzMinutes: number): string {
  const d = local(ms, tzMinutes)
  return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`
}

/** The calendar day at the site, as a number that changes exactly at local midnight. */
export function siteDayNumber (ms: number, tzMinutes: number): number {
  return Math.floor((ms + tzMinutes * MINUTE) / DAY)
}

/** "UTC", "UTC+02:00", "UTC-05:30". */
export function utcOffset (tzMinutes: number): string {
  if (tzMinutes === 0) return 'UTC'
  const a = Math.abs(tzMinutes)
  return `UTC${tzMinutes < 0 ? '-' : '+'}${pad2(Math.floor(a / 60))}:${pad2(a % 60)}`
}

/**
 * "850 ms", "4.7 s", "15 min", "72 h", "9 d". Hours run up to a week so the lateness buckets read as the
 * issue names them (< 24 h, < 72 h) rather than as "1 d" and "3 d".
 */
export function duration (ms: number): string {
  if (!Number.isFinite(ms)) return '∞'
  const a = Math.abs(ms)
  if (a < 1000) return `${Math.round(ms)} ms`
  if (a < MINUTE) return `${trim(ms / 1000)} s`
  if (a < HOUR) return `${trim(ms / MINUTE)} min`
  if (a < 7 * DAY) return `${trim(ms / HOUR)} h`
  return `${trim(ms / DAY)} d`
}

/** One decimal at most, none when it is zero: 4.7, 15, 72. */
function trim (n: number): string {
  const r = Math.round(n * 10) / 10
  return Number.isInteger(r) ? String(r) : r.toFixed(1)
}

/** "12,345" (grouped with commas, whatever the locale). */
export function count (n: number): string {
  if (!Number.isFinite(n)) return String(n)
  const s = String(Math.round(Math.abs(n)))
  return (n < 0 ? '-' : '') + s.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/** "950", "1.2k", "34k", "3.4M": for a progress line and axis ticks, where width is short. */
export function compact (n: number): string {
  if (!Number.isFinite(n)) return '–'
  const a = Math.abs(n)
  if (a < 1000) return a < 10 && !Number.isInteger(n) ? n.toFixed(1) : String(Math.round(n))
  for (const [unit, div] of [['k', 1e3], ['M', 1e6], ['G', 1e9]] as const) {
    const v = n / div
    if (Math.abs(v) < 999.5) return (Math.abs(v) < 10 ? trim(v) : String(Math.round(v))) + unit
  }
  return `${Math.round(n / 1e12)}T`
}

/**
 * "99.6" (percent of `of`), "–" when `of` is zero. Never "0.0" for something nor "100.0" for less than
 * all: three lost punches of 12,345 must not read as none.
 */
export function percent (part: number, of: number): string {
  if (of === 0) return '–'
  const p = part / of * 100
  if (part > 0 && p < 0.05) return '<0.1'
  if (part < of && p >= 99.95) return '>99.9'
  return p.toFixed(1)
}

/**
 * The name of a lateness bucket: "< 1 min" for an upper bound, "≥ 72 h" for the open last bucket (an
 * Infinity bound, or null once the data went through JSON, which has no Infinity).
 */
export function bucketLabel (upToMs: number | null, previousUpToMs: number | undefined): string {
  if (upToMs === null || !Number.isFinite(upToMs)) return previousUpToMs === undefined ? 'all' : `≥ ${duration(previousUpToMs)}`
  return `< ${duration(upToMs)}`
}

export const TIME = { MINUTE, HOUR, DAY }
