/**
 * What became of the punches, as both the text summary and the HTML report show it: the rows of the fate
 * and duplicate tables, and the verdict. One list so the two outputs cannot disagree on a label or on
 * what counts as failure.
 */
import type { FateCounts, SimReportData } from './types.js'
import { count } from './format.js'

export interface Row {
  label: string
  value: number
  /** indented under the row above (a part of it, not a fate of its own) */
  sub?: boolean
  /** a number that is a failure whenever it is not zero */
  bad?: boolean
}

export function fateRows (f: FateCounts): Row[] {
  return [
    { label: 'generated', value: f.generated },
    { label: 'delivered', value: f.delivered },
    { label: 'with flags', value: f.deliveredFlagged, sub: true },
    { label: 'refused by a full ring', value: f.refused },
    { label: 'duplicate reads (not stored)', value: f.duplicateReads },
    { label: 'overwritten on devices', value: f.overwritten },
    { label: 'rejected by the gateway', value: f.rejected },
    { label: 'dead-lettered', value: f.deadLettered },
    { label: 'still pending', value: f.pending },
    { label: 'unexplained', value: f.unexplained, bad: true }
  ]
}

export function duplicateRows (f: FateCounts): Row[] {
  return [
    { label: 'punch ids upstream more than once', value: f.duplicatePunches, bad: true },
    { label: 'extra copies', value: f.duplicateDeliveries, sub: true, bad: true },
    { label: 'copies in re-sent batches (same key)', value: f.retriedCopies },
    { label: 'upstream punches never generated', value: f.unexpectedUpstream, bad: true }
  ]
}

export interface Verdict {
  ok: boolean
  /** "OK: every punch accounted for", or "FAIL: " and every reason */
  text: string
}

/** How many ids the verdict line names before "...". */
const IDS_SHOWN = 3

/**
 * OK only when the engine says so and the counts agree: an engine that reports `ok` beside unexplained
 * losses has a bug, and the report must not repeat its "OK" over numbers that say otherwise.
 */
export function verdict (data: SimReportData): Verdict {
  const f = data.fates
  const ids = (): string => {
    const shown = data.unexplainedIds.slice(0, IDS_SHOWN)
    if (shown.length === 0) return ''
    return ` (first: ${shown.join(', ')}${data.unexplainedIds.length > IDS_SHOWN ? ', ...' : ''})`
  }
  const reasons: string[] = []
  if (f.unexplained > 0) reasons.push(`${plural(f.unexplained, 'punch', 'punches')} lost that nothing explains${ids()}`)
  if (f.duplicatePunches > 0 || f.duplicateDeliveries > 0) {
    // The ids list holds losses first; name ids here only when there were no losses to name them for.
    reasons.push(`${plural(f.duplicatePunches, 'punch', 'punches')} delivered more than once ` +
      `(${plural(f.duplicateDeliveries, 'extra copy', 'extra copies')})${f.unexplained > 0 ? '' : ids()}`)
  }
  if (f.unexpectedUpstream > 0) reasons.push(`${plural(f.unexpectedUpstream, 'punch', 'punches')} upstream that the simulator never generated`)
  for (const c of data.checks) {
    if (!c.ok) reasons.push(`expected ${c.what} ${String(c.expected)}, got ${String(c.actual)}`)
  }
  if (reasons.length === 0 && !data.ok) {
    reasons.push(f.pending > 0
      ? `${plural(f.pending, 'punch', 'punches')} still pending when the run ended`
      : 'the run did not end clean')
  }
  if (reasons.length === 0) return { ok: true, text: 'OK: every punch accounted for' }
  return { ok: false, text: `FAIL: ${reasons.join('; ')}` }
}

function plural (n: number, one: string, many: string): string {
  return `${count(n)} ${n === 1 ? one : many}`
}
