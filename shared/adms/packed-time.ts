/**
 * The clock value of ZKTeco's `SET OPTIONS DateTime=<n>` command: a wall time packed as if every month had
 * 31 days and every year 12 such months, counted in seconds from 2000-01-01 00:00:00 (PUSH SDK, "Set
 * Options"; the SDK's worked example: 2018-02-22 14:54:54 packs to 583080894). Not Unix time: it holds no
 * zone, it is whatever the terminal's clock should read.
 */
/** A wall-clock time as a terminal shows it, no zone. */
export interface WallTime {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
}

export function packWallTime (w: WallTime): number {
  return (((w.year - 2000) * 12 * 31 + (w.month - 1) * 31 + w.day - 1) * 86400) + (w.hour * 60 + w.minute) * 60 + w.second
}

export function unpackWallTime (n: number): WallTime {
  const second = n % 60
  const minute = Math.floor(n / 60) % 60
  const hour = Math.floor(n / 3600) % 24
  let days = Math.floor(n / 86400)
  const day = (days % 31) + 1
  days = Math.floor(days / 31)
  const month = (days % 12) + 1
  const year = Math.floor(days / 12) + 2000
  return { year, month, day, hour, minute, second }
}
