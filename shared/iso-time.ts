/**
 * ISO 8601 text of a time, written by hand because the forwarder writes three per punch (`ts`, `local`,
 * `received`) and `Date.prototype.toISOString` was a large part of a punch's forwarding
 * (docs/DESIGN-NOTES.md, "The forwarder's hot path", has the figures). This writes the same text for less:
 * the date part is cached (the punches of a batch share a few days) and the rest comes from tables.
 * test/iso-time.test.ts checks it against Date over the whole range it handles.
 */

const MS_PER_DAY = 86_400_000
/** the years written here; Date writes the rest (a six-digit, signed year) */
const MIN_MS = -62_167_219_200_000 // 0000-01-01T00:00:00.000Z (Date.UTC maps years 0..99 to 1900..1999)
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

const TWO = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'))
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'))
const FOUR = (n: number): string => n >= 1000 ? String(n) : THREE[n].padStart(4, '0')

/** `HH:MM:` for every minute of a day */
const MINUTES = Array.from({ length: 1440 }, (_, m) => TWO[Math.floor(m / 60)] + ':' + TWO[m % 60] + ':')

/** the last day written, as days since 1970, and its `YYYY-MM-DDT`: punches of a batch share a few days */
let cachedDay = NaN
let cachedPrefix = ''

/** `new Date(ms).toISOString()`, for whole ms; years outside 0000..9999 and anything not a whole number go to Date. */
export function isoUtc (ms: number): string {
  if (!Number.isInteger(ms) || ms < MIN_MS || ms > MAX_MS) return new Date(ms).toISOString()
  const days = Math.floor(ms / MS_PER_DAY)
  const inDay = ms - days * MS_PER_DAY
  const milli = inDay % 1000
  const secs = (inDay - milli) / 1000
  const sec = secs % 60
  if (days !== cachedDay) {
    cachedPrefix = datePrefix(days)
    cachedDay = days
  }
  return cachedPrefix + MINUTES[(secs - sec) / 60] + TWO[sec] + '.' + THREE[milli] + 'Z'
}

/** `YYYY-MM-DDT` of a day counted from 1970-01-01 (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms"). */
function datePrefix (days: number): string {
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0)
  return FOUR(year) + '-' + TWO[month] + '-' + TWO[day] + 'T'
}

const OFFSETS = new Map<number, string>()

/** `+hh:mm` / `-hh:mm` for an offset in minutes east of UTC. */
export function offsetText (tzMinutes: number): string {
  let text = OFFSETS.get(tzMinutes)
  if (text === undefined) {
    const abs = Math.abs(tzMinutes)
    text = (tzMinutes < 0 ? '-' : '+') + String(Math.floor(abs / 60)).padStart(2, '0') + ':' + String(abs % 60).padStart(2, '0')
    // Offsets in use are a handful; the bound only guards against a stream of odd values.
    if (OFFSETS.size < 4096) OFFSETS.set(tzMinutes, text)
  }
  return text
}

/** The site's wall-clock time with its offset, e.g. 2026-11-30T08:01:02.003+01:00. */
export function localIso (ts: number, tzMinutes: number): string {
  return isoUtc(ts + tzMinutes * 60_000).slice(0, -1) + offsetText(tzMinutes)
}
