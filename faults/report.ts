/**
 * One line per fault run in the suite's table: what was done, what the reconciliation found, and the
 * problems that fail the run (any loss, an altered punch, duplicates beyond their bound, a check of the
 * fault's own).
 */
import type { Reconciliation } from './judge.js'

export interface FaultReport {
  fault: string
  /** how many times the fault struck, and what a strike is ('kills', 'power cuts', 'rounds') */
  runs: number
  runUnit: string
  /** the punches that must be upstream (acknowledged by the gateway; confirmed to the person for a power cut) */
  acked: number
  delivered: number
  lost: number
  duplicates: number
  /** of the duplicates, copies re-sent under an Idempotency-Key the upstream had accepted */
  resent: number
  /** of the duplicates, copies of punches the gateway stored a second time (sim/engine/fate-reconcile.ts) */
  storedAgain: number
  /** the most duplicates allowed, and why */
  bound: number
  boundRule: string
  ms: number
  problems: string[]
  /** what else a reader should know (a per-kill table, a variant skipped) */
  notes: string[]
}

export function faultReport (fault: string, runs: number, runUnit: string, r: Reconciliation, bound: { bound: number, rule: string }, ms: number, problems: string[], notes: string[] = []): FaultReport {
  return {
    fault,
    runs,
    runUnit,
    acked: r.expected,
    delivered: r.delivered,
    lost: r.lost,
    duplicates: r.duplicates,
    resent: r.resent,
    storedAgain: r.storedAgain,
    bound: bound.bound,
    boundRule: bound.rule,
    ms,
    problems,
    notes
  }
}

/** A run that struck nothing: skipped (notes say why), or failed before it could reconcile (problems say how). */
export function emptyReport (fault: string, runUnit: string, ms: number, problems: string[], notes: string[] = []): FaultReport {
  return { fault, runs: 0, runUnit, acked: 0, delivered: 0, lost: 0, duplicates: 0, resent: 0, storedAgain: 0, bound: 0, boundRule: '-', ms, problems, notes }
}

export function passed (r: FaultReport): boolean {
  return r.problems.length === 0
}

const HEADER = ['fault', 'runs', 'punches acked', 'delivered', 'lost', 'duplicates', 'same key', 'stored again', 'bound', 'time', 'result']

/** A fixed-width table, then each run's bound rule, notes and problems. */
export function formatReports (reports: readonly FaultReport[]): string {
  const rows = reports.map(r => [
    r.fault,
    `${r.runs} ${r.runs === 1 ? r.runUnit.replace(/s$/, '') : r.runUnit}`,
    String(r.acked),
    String(r.delivered),
    String(r.lost),
    String(r.duplicates),
    String(r.resent),
    String(r.storedAgain),
    String(r.bound),
    `${(r.ms / 1000).toFixed(1)} s`,
    passed(r) ? 'pass' : 'FAIL'
  ])
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map(row => row[i].length)))
  const line = (cells: string[]): string => cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join('  ')
  const out = [line(HEADER), widths.map(w => '-'.repeat(w)).join('  '), ...rows.map(line)]
  for (const r of reports) {
    out.push('', `${r.fault}: duplicates bound ${r.boundRule}`)
    for (const n of r.notes) out.push(`  ${n}`)
    for (const p of r.problems) out.push(`  PROBLEM: ${p}`)
  }
  return out.join('\n')
}
