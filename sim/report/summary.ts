/**
 * The final summary of a simulation run as plain text for a terminal or a CI log: fates, duplicates,
 * lateness, flags and the scenario's checks in one table whose columns line up across sections, then
 * the verdict as the last line (the line a person and a log grep look for).
 */
import type { SimReportData } from './types.js'
import { duplicateRows, fateRows, verdict } from './accounting.js'
import { bucketLabel, count, duration, percent, siteDateTime, utcOffset } from './format.js'

type Align = 'l' | 'r'
/** a table row, or null for a blank line between sections */
type Line = string[] | null

const ALIGN: Align[] = ['l', 'r', 'r', 'l']
/** ids listed above the verdict; the ledger keeps a few hundred, a terminal wants a screenful at most */
const IDS_LISTED = 20

export function formatSummary (data: SimReportData): string {
  const tz = data.tzMinutes ?? 0
  const f = data.fates
  const lines: Line[] = [
    ['fates', 'punches', '%'],
    ...fateRows(f).map(r => [(r.sub === true ? '    ' : '  ') + r.label, count(r.value), percent(r.value, f.generated)]),
    null,
    ['duplicates', 'punches'],
    ...duplicateRows(f).map(r => [(r.sub === true ? '    ' : '  ') + r.label, count(r.value)]),
    null,
    ...latenessLines(data),
    null,
    ...flagLines(data),
    null,
    ...checkLines(data)
  ]
  const v = verdict(data)
  const out = [
    `scenario ${clean(data.scenario)} (seed ${data.seed})`,
    ...(data.description === '' ? [] : [`  ${clean(data.description)}`]),
    `  ${count(data.sites)} ${data.sites === 1 ? 'site' : 'sites'}, ${count(data.devices)} ${data.devices === 1 ? 'device' : 'devices'}; ` +
      `${siteDateTime(data.startMs, tz)} → ${siteDateTime(data.endMs, tz)} ${utcOffset(tz)} ` +
      `(${duration(data.endMs - data.startMs)} virtual in ${duration(data.realMs)})`,
    '',
    ...table(lines, ALIGN),
    ''
  ]
  if (data.unexplainedIds.length > 0) {
    const shown = data.unexplainedIds.slice(0, IDS_LISTED).map(clean)
    const of = data.unexplainedIds.length > shown.length ? ` of ${count(data.unexplainedIds.length)}` : ''
    out.push(`unexplained or duplicated ids (first ${shown.length}${of}): ${shown.join(', ')}`, '')
  }
  out.push(clean(v.text))
  return out.join('\n')
}

function latenessLines (data: SimReportData): Line[] {
  const total = data.lateness.reduce((s, b) => s + b.count, 0)
  const head: Line = ['lateness (upstream receipt - punch)', 'punches', '%']
  if (data.lateness.length === 0) return [head, ['  (no deliveries measured)']]
  return [head, ...data.lateness.map((b, i): Line =>
    ['  ' + bucketLabel(b.upToMs, data.lateness[i - 1]?.upToMs), count(b.count), percent(b.count, total)])]
}

function flagLines (data: SimReportData): Line[] {
  const flags = Object.entries(data.flags).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  if (flags.length === 0) return [['flags', 'punches'], ['  (none)']]
  return [['flags', 'punches'], ...flags.map(([k, n]): Line => ['  ' + clean(k), count(n)])]
}

function checkLines (data: SimReportData): Line[] {
  if (data.checks.length === 0) return [['checks'], ['  (the scenario expects nothing)']]
  return [['checks', 'expected', 'actual', 'ok'],
    ...data.checks.map((c): Line => ['  ' + clean(c.what), show(c.expected), show(c.actual), c.ok ? 'ok' : 'FAIL'])]
}

function show (v: number | string): string { return typeof v === 'number' ? count(v) : clean(v) }

/**
 * Names and descriptions come from scenario files: a control character (an ANSI escape, a carriage
 * return) in them would rewrite the terminal instead of being shown.
 */
function clean (s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
}

/** Pads every column to its widest cell, so columns line up across sections. */
function table (lines: Line[], align: Align[]): string[] {
  const width: number[] = []
  for (const cells of lines) {
    if (cells === null || cells.length === 1) continue
    cells.forEach((c, i) => { width[i] = Math.max(width[i] ?? 0, c.length) })
  }
  return lines.map(cells => {
    if (cells === null) return ''
    // A lone section title or note spans the row: padding it to the first column's width adds nothing.
    if (cells.length === 1) return cells[0]
    return cells.map((c, i) => (align[i] === 'r' ? c.padStart(width[i]) : c.padEnd(width[i])))
      .join('  ').trimEnd()
  })
}
