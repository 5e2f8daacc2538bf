/**
 * Durations as people write them in a scenario file: '72h', '90m', '15s', '500ms', '1d', '1w', compounds
 * ('1d12h', '2h 30m') and fractions ('1.5h'), or a plain number of milliseconds (JSON, generated files).
 *
 * A string without a unit ('500') is refused rather than read as ms: in a file where most values are hours
 * a bare number is more often a slip than a choice, and the number form stays available for ms.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

const PART = /(\d+(?:\.\d+)?)\s*(ms|min|s|m|h|d|w)/gy

export const DURATION_HINT = "a duration like '90m', '72h', '1d12h', '500ms', or a number of ms"

/** ms for a duration (>= 0), or a reason it is not one. */
export function parseDuration (value: unknown): number | { error: string } {
  return parseSigned(value, false)
}

/** As parseDuration, but '-2h' and '+90s' (and negative numbers) are allowed: a clock stepped back or forward. */
export function parseSignedDuration (value: unknown): number | { error: string } {
  return parseSigned(value, true)
}

function parseSigned (value: unknown, signed: boolean): number | { error: string } {
  const hint = signed ? `${DURATION_HINT}, signed ('-2h', '+90s')` : DURATION_HINT
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { error: `must be ${hint}` }
    if (!signed && value < 0) return { error: `must not be negative (got ${value})` }
    return Math.round(value)
  }
  if (typeof value !== 'string') return { error: `must be ${hint}` }
  let text = value.trim().toLowerCase()
  let sign = 1
  if (signed && (text.startsWith('-') || text.startsWith('+'))) {
    if (text.startsWith('-')) sign = -1
    text = text.slice(1).trim()
  }
  if (text === '') return { error: `must be ${hint}` }
  if (/^\d+(\.\d+)?$/.test(text)) return { error: `'${value}' has no unit: write e.g. '${text}ms', '${text}s' or '${text}m'` }
  let ms = 0
  let at = 0
  while (at < text.length) {
    while (text[at] === ' ') at++
    if (at >= text.length) break
    PART.lastIndex = at
    const m = PART.exec(text)
    if (m === null) return { error: `'${value}' is not ${hint}` }
    ms += Number(m[1]) * UNIT_MS[m[2]]
    at = PART.lastIndex
  }
  return sign * Math.round(ms)
}

/** The shortest exact way to write ms back ('1d12h', '90s', '500ms'), for error messages and docs. */
export function formatDuration (ms: number): string {
  if (ms === 0) return '0s'
  const sign = ms < 0 ? '-' : ''
  let rest = Math.abs(ms)
  let out = ''
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size)
    if (n > 0) { out += `${n}${unit}`; rest -= n * size }
  }
  return sign + out
}
