/** How times and counts read in the console: the browser's local time, to the second. */

function pad (n: number): string {
  return String(n).padStart(2, '0')
}

/** A time in ms since the epoch, or as ISO 8601 text, in the browser's local time. */
export function dateTime (at: number | string | null | undefined): string {
  if (at === null || at === undefined) return '—'
  const d = new Date(at)
  if (Number.isNaN(d.getTime())) return String(at)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

export function ago (ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return 'never'
  const s = Math.max(0, Math.round((now - ms) / 1000))
  if (s < 60) return `${s} s ago`
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`
  return `${Math.floor(s / 86400)} d ago`
}

export function percent (fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined) return '—'
  return `${Math.round(fraction * 100)} %`
}

/** `<input type="datetime-local">`'s value (local time) as ms since the epoch; undefined when empty. */
export function fromLocalInput (value: string): number | undefined {
  if (value === '') return undefined
  const ms = new Date(value).getTime()
  return Number.isNaN(ms) ? undefined : ms
}

/** The local calendar date, YYYY-MM-DD (`<input type="date">`'s value). */
export function calendarDate (ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

export function toLocalInput (ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/**
 * `<input type="datetime-local">`'s value as ISO 8601 with the browser's own UTC offset
 * (`2026-12-07T08:59:00+08:00`): the form an API takes when the local time a person meant must survive.
 */
export function toOffsetTime (value: string): string | undefined {
  const ms = fromLocalInput(value)
  if (ms === undefined) return undefined
  const offset = -new Date(ms).getTimezoneOffset()
  const sign = offset < 0 ? '-' : '+'
  const abs = Math.abs(offset)
  return `${value.length === 16 ? value + ':00' : value}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}
