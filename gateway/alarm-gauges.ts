/**
 * The alarm gauges, under one set of names for every process that raises alarms: a single box's gateway
 * (metrics.ts) and a cluster's console (cluster/console/console-app.ts), so one alert rule serves both.
 */
import { Gauge, type Registry } from 'prom-client'

export interface AlarmGauges {
  alarmsActive: Gauge<'severity'>
  alarmsUnacknowledged: Gauge<'severity'>
  alarm: Gauge<'name' | 'severity'>
}

export function alarmGauges (registry: Registry): AlarmGauges {
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> =>
    new Gauge<L>({ name, help, labelNames, registers: [registry] })
  return {
    alarmsActive: gauge('punchline_alarms_active',
      'Alarms active now, by severity (warning, critical); see /api/alarms', ['severity']),
    alarmsUnacknowledged: gauge('punchline_alarms_unacknowledged',
      'Alarms active and not acknowledged, by support level (critical, major, minor); alert on this one to let an acknowledgement silence a raise', ['severity']),
    alarm: gauge('punchline_alarm',
      '1 while an alarm of this name and severity is active (for any device), else 0', ['name', 'severity'])
  }
}
