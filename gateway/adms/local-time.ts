/**
 * A terminal's wall-clock time to an instant, through the IANA zone the terminal is registered with.
 *
 * ZKTeco terminals write local time with no offset, and the TimeZone option they are given is read in
 * hours, minutes or ±HH:MM depending on the firmware: an offset guessed from it is wrong for half the year
 * wherever summer time exists. The registered zone is the only source of the offset, and the tz database
 * (through Temporal) applies its rules for that date.
 *
 * Around a change of offset a wall time can be missing (clocks go forward) or happen twice (they go back).
 * Both are resolved as Temporal's 'compatible' disambiguation does, the rule RFC 5545 and most calendars
 * use: a missing time moves forward by the gap, a repeated one is taken at its first occurrence. The
 * caller is told which happened, so the punch can carry it.
 */
import { Temporal } from 'temporal-polyfill'
import type { WallTime } from './attlog.js'

export type WallTimeFold = 'exact' | 'gap' | 'repeated'

export interface Instant {
  /** Unix milliseconds */
  ms: number
  /** the zone's offset from UTC at that instant, in minutes */
  offsetMinutes: number
  fold: WallTimeFold
}

/**
 * Whether the tz database here knows `zone` by its IANA name ('Asia/Ho_Chi_Minh', 'UTC'). A bare offset
 * ('+07:00') is refused although Temporal takes it: it is exactly the guess this module exists to avoid.
 */
export function isKnownZone (zone: string): boolean {
  if (!/^[A-Za-z]/.test(zone)) return false
  try {
    Temporal.Now.zonedDateTimeISO(zone)
    return true
  } catch {
    return false
  }
}

export function wallTimeToInstant (wall: WallTime, zone: string): Instant {
  const plain = new Temporal.PlainDateTime(wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second)
  const earlier = plain.toZonedDateTime(zone, { disambiguation: 'earlier' })
  const later = plain.toZonedDateTime(zone, { disambiguation: 'later' })
  const chosen = plain.toZonedDateTime(zone, { disambiguation: 'compatible' })
  let fold: WallTimeFold = 'exact'
  if (earlier.epochMilliseconds !== later.epochMilliseconds) {
    // In a gap the wall time does not come back the same from the instant chosen.
    fold = Temporal.PlainDateTime.compare(chosen.toPlainDateTime(), plain) === 0 ? 'repeated' : 'gap'
  }
  return { ms: chosen.epochMilliseconds, offsetMinutes: chosen.offsetNanoseconds / 60e9, fold }
}

/** What a clock in `zone` shows at `ms`: the wall time a clock command sets. */
export function instantToWallTime (ms: number, zone: string): WallTime {
  const z = Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(zone)
  return { year: z.year, month: z.month, day: z.day, hour: z.hour, minute: z.minute, second: z.second }
}
