/**
 * Sizes and durations the way an operator reads them in a log line, an alarm or the report:
 * "120 MiB", "1.1 GiB", "45 min", "3 h". Binary units, because disks and SQLite pages are counted in them.
 */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const

export function formatBytes (n: number): string {
  let v = Math.max(0, n)
  let u = 0
  while (v >= 1024 && u < BYTE_UNITS.length - 1) { v /= 1024; u++ }
  return `${trim(v)} ${BYTE_UNITS[u]}`
}

export function formatDuration (ms: number): string {
  const s = Math.max(0, ms) / 1000
  if (s < 60) return `${Math.floor(s)} s`
  if (s < 3600) return `${Math.floor(s / 60)} min`
  if (s < 48 * 3600) return `${trim(s / 3600)} h`
  return `${trim(s / 86400)} d`
}

/** One decimal below 100 ("1.1", "12.5"), none above or when it is .0 ("256", "1"). */
function trim (v: number): string {
  if (v >= 100) return String(Math.round(v))
  const one = v.toFixed(1)
  return one.endsWith('.0') ? one.slice(0, -2) : one
}
