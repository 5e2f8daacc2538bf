/**
 * The values a scenario file writes as text ('72h', '+08:00', 'mon-fri', 'fri 18:00'), by the name a
 * schema node gives in `syntax` (sim/scenario/schema.ts): the schema check asks the same readers that
 * later turn them into ms and minutes, so what the schema lets through always reads, with the reader's
 * own words when it does not. Whether a value fits its place (a step of at most 1 h, a moment before the
 * end) is the readers' (read-*.ts), which know the place.
 */
import type { SyntaxReader } from '../../shared/settings-check.js'
import { isError, parseStart, parseTimeOfDay, parseTimelineAt, parseTz, parseWeekdays } from './calendar.js'
import { DURATION_HINT, parseDuration, parseSignedDuration } from './duration.js'

const errorOf = (read: (v: unknown) => unknown): SyntaxReader => v => {
  const r = read(v)
  return isError(r) ? r.error : undefined
}

/** Each syntax's reader, and the description the published schema gives an editor (docs/SCENARIOS.md, "Writing values"). */
const SYNTAXES = {
  duration: { read: errorOf(parseDuration), description: DURATION_HINT },
  'signed-duration': { read: errorOf(parseSignedDuration), description: `${DURATION_HINT}, signed ('-2h', '+90s')` },
  'time-of-day': { read: errorOf(v => parseTimeOfDay(v)), description: "a time of day 'HH:MM' or 'HH:MM:SS'" },
  'end-of-shift': { read: errorOf(v => parseTimeOfDay(v, true)), description: "a time of day 'HH:MM', or '24:00'" },
  tz: { read: errorOf(parseTz), description: "a UTC offset like '+08:00' or 'Z', or minutes east of UTC" },
  weekdays: { read: errorOf(parseWeekdays), description: "weekdays like 'mon-fri', 'sat,sun', 'daily', or a list of them" },
  // Whether the start falls in 2000..2100 depends a little on the site's tz: the reader checks that with it.
  start: { read: errorOf(v => parseStart(v, 0)), description: "a date like '2026-11-23' (midnight in the first site's tz), an ISO time, or ms since 1970" },
  moment: { read: errorOf(v => parseTimelineAt(v, 0, 0)), description: "a duration after the start, or a weekday and time like 'fri 18:00'" }
} satisfies Record<string, { read: SyntaxReader, description: string }>

export type SyntaxName = keyof typeof SYNTAXES

export const SCENARIO_SYNTAXES: Record<string, SyntaxReader> = Object.fromEntries(Object.entries(SYNTAXES).map(([name, s]) => [name, s.read]))

/** A schema node for a value written in `name`'s syntax. */
export function written (name: SyntaxName, more: object = {}): object {
  return { syntax: name, description: SYNTAXES[name].description, ...more }
}
