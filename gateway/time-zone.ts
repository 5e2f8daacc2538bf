/**
 * Wall-clock times in an IANA zone for people (exports' local time, the day views' days), through the
 * runtime's own time-zone data (Intl): no zone table of ours to keep up to date.
 */

/** The zone of the gateway's host (TZ, else /etc/localtime): what a day means when a request names none. */
export function hostTimeZone (): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone
}

const formats = new Map<string, Intl.DateTimeFormat>()

/** Bounded by the zones the runtime knows, a few hundred. */
function formatIn (zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset'
    })
    formats.set(zone, f)
  }
  return f
}

/** True when the runtime knows the zone ('Asia/Shanghai', 'UTC'). */
export function isTimeZone (zone: string): boolean {
  try {
    formatIn(zone)
    return true
  } catch {
    return false
  }
}

export interface WallClock {
  /** YYYY-MM-DD */
  date: string
  /** HH:MM:SS */
  time: string
  /** +08:00, -05:00, +00:00 */
  offset: string
}

/** The wall clock in `zone` at `ms` (ms since the epoch). */
export function wallClock (ms: number, zone: string): WallClock {
  const p: Record<string, string> = {}
  for (const part of formatIn(zone).formatToParts(ms)) p[part.type] = part.value
  // longOffset reads 'GMT+08:00', or just 'GMT' at offset zero.
  const offset = p.timeZoneName === 'GMT' ? '+00:00' : p.timeZoneName.slice(3)
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}:${p.second}`, offset }
}

/** '2026-12-07 09:01:02 +08:00' */
export function localTimeText (ms: number, zone: string): string {
  const w = wallClock(ms, zone)
  return `${w.date} ${w.time} ${w.offset}`
}

function offsetMs (ms: number, zone: string): number {
  const o = wallClock(ms, zone).offset
  const sign = o.startsWith('-') ? -1 : 1
  return sign * (Number(o.slice(1, 3)) * 60 + Number(o.slice(4, 6))) * 60_000
}

/**
 * When the day `date` (YYYY-MM-DD) begins in `zone`, ms since the epoch. Twice round the offset: the offset
 * at the guess can differ from the one at midnight when a daylight-saving change falls on that day.
 */
export function startOfDay (date: string, zone: string): number {
  const [y, m, d] = date.split('-').map(Number)
  const utcMidnight = Date.UTC(y, m - 1, d)
  let guess = utcMidnight - offsetMs(utcMidnight, zone)
  guess = utcMidnight - offsetMs(guess, zone)
  return guess
}

/** The calendar day after `date` (YYYY-MM-DD). */
export function nextDate (date: string): string {
  const [y, m, d] = date.split('-').map(Number)
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10)
}

/** True for a real calendar date written YYYY-MM-DD (not 2026-02-30). */
export function isCalendarDate (date: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return false
  const [y, m, d] = date.split('-').map(Number)
  return new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10) === date
}
