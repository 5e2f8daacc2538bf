/**
 * A person's punches laid out by calendar day in one zone: each day of the range (days without punches
 * included, so an absence shows), its first `in` and last `out`, how many punches, the flags among them,
 * and the punches with their wall-clock time.
 */
import type { PersonPunch } from '../../store/person-punches.js'
import { nextDate, wallClock } from '../../time-zone.js'

export type DayPunch = PersonPunch & { site: string, localTime: string }

export interface PersonDay {
  date: string
  /** the earliest punch of kind `in` (ms since the epoch), null when none */
  firstIn: number | null
  /** the latest punch of kind `out`, null when none */
  lastOut: number | null
  count: number
  /** the flags of the day's punches, each once, sorted */
  flags: string[]
  punches: DayPunch[]
}

/** The dates from `from` to `to`, both included (YYYY-MM-DD). */
export function datesBetween (from: string, to: string): string[] {
  const out: string[] = []
  for (let d = from; d <= to; d = nextDate(d)) out.push(d)
  return out
}

export function personDays (punches: readonly PersonPunch[], dates: readonly string[], zone: string, siteOf: (device: string) => string): PersonDay[] {
  const byDate = new Map<string, PersonDay>(dates.map(date => [date, { date, firstIn: null, lastOut: null, count: 0, flags: [], punches: [] }]))
  for (const p of punches) {
    const clock = wallClock(p.ts, zone)
    const day = byDate.get(clock.date)
    if (day === undefined) continue
    day.punches.push({ ...p, site: siteOf(p.device), localTime: `${clock.date} ${clock.time} ${clock.offset}` })
  }
  for (const day of byDate.values()) {
    // The punches come in time order.
    day.count = day.punches.length
    day.firstIn = day.punches.find(p => p.kind === 'in')?.ts ?? null
    day.lastOut = day.punches.findLast(p => p.kind === 'out')?.ts ?? null
    day.flags = [...new Set(day.punches.flatMap(p => p.flags))].sort()
  }
  return [...byDate.values()]
}
