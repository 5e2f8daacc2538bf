/**
 * What a run must show to pass: nothing unexplained, nothing from nowhere, no duplicates, nothing left
 * pending after the drain, and the scenario's own expectations, exactly (a scenario meant to lose says
 * how many).
 */
import type { FateCounts, SimReportData } from '../report/types.js'
import type { Scenario } from '../scenario/types.js'

/** `altered`: punches delivered with another badge than the device took (a seq used for two punches). */
export function buildChecks (s: Scenario, f: FateCounts, flags: Record<string, number>, poisoned: number, altered = 0): SimReportData['checks'] {
  const checks: SimReportData['checks'] = [
    { what: 'punches lost that nothing explains', expected: 0, actual: f.unexplained, ok: f.unexplained === 0 },
    { what: 'punches upstream the simulator never made', expected: 0, actual: f.unexpectedUpstream, ok: f.unexpectedUpstream === 0 },
    { what: 'punches delivered with other content than the device took', expected: 0, actual: altered, ok: altered === 0 },
    { what: 'extra copies upstream', expected: 0, actual: f.duplicateDeliveries, ok: f.duplicateDeliveries === 0 },
    { what: 'still pending after the drain', expected: 0, actual: f.pending, ok: f.pending === 0 }
  ]
  const e = s.expect
  const exact = (what: string, expected: number | undefined, actual: number): void => {
    if (expected !== undefined) checks.push({ what, expected, actual, ok: expected === actual })
  }
  exact('overwritten (expected by the scenario)', e.overwritten, f.overwritten)
  exact('refused by a full ring (expected by the scenario)', e.refused, f.refused)
  exact('rejected by the gateway (expected by the scenario)', e.rejected, f.rejected)
  exact('dead-lettered (expected by the scenario)', e.deadLettered ?? (poisoned > 0 ? poisoned : undefined), f.deadLettered)
  for (const [flag, atLeast] of Object.entries(e.flags ?? {})) {
    const actual = flags[flag] ?? 0
    checks.push({ what: `punches flagged ${flag} (at least)`, expected: atLeast, actual, ok: actual >= atLeast })
  }
  return checks
}
