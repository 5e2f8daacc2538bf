/**
 * The three support levels of an alarm, critical / major / minor, from its two evaluation grades
 * (alarms.ts: warning, critical). Critical stays critical: punches are not reaching the upstream or the
 * store, or data was lost. A warning is major when punches are at risk or held back from payroll (a silent
 * device, an old backlog, storage near its limit, a ring near full, dead letters), minor when nothing
 * waits and nothing is at risk (a device clock that was corrected: its punches are flagged, not held).
 */
import type { Alarm, AlarmName } from './alarms.js'

export const ALARM_LEVELS = ['critical', 'major', 'minor'] as const
export type AlarmLevel = typeof ALARM_LEVELS[number]

const MINOR_WARNINGS: ReadonlySet<AlarmName> = new Set(['clock-offset'])

export function alarmLevel (a: Pick<Alarm, 'name' | 'severity'>): AlarmLevel {
  if (a.severity === 'critical') return 'critical'
  return MINOR_WARNINGS.has(a.name) ? 'minor' : 'major'
}
