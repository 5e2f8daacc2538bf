/**
 * A punch as the arguments of Frappe HR's add_log_based_on_employee_field
 * (hrms/hr/doctype/employee_checkin/employee_checkin.py): who, when in the site's wall-clock time, which
 * device, which direction, where.
 *
 * The same punch must always give the same arguments: ERPNext dedupes on (employee, time, log_type), so a
 * punch posted again after a partial batch, a split or a restart is answered "already has a log" only if
 * its timestamp and log type come out exactly as the first time. Nothing here depends on what the sink
 * has seen so far.
 */
import type { UpstreamPunch } from '../../shared/upstream.js'

export interface CheckinArgs {
  employee_field_value: string
  employee_fieldname: string
  timestamp: string
  device_id: string
  log_type?: 'IN' | 'OUT'
  latitude?: number
  longitude?: number
}

export type CheckinResult =
  | { ok: true, args: CheckinArgs, zone: 'local' | 'offset' | 'utc' }
  | { ok: false, error: string }

const LOCAL_WALL_CLOCK = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/

/**
 * `utcOffsetMinutes` is used only for a punch without `local` (a device that sends no tz); without it such
 * a punch goes in UTC and `zone` says so, for the caller to warn about.
 */
export function toCheckin (p: UpstreamPunch, employeeField: string, utcOffsetMinutes?: number): CheckinResult {
  if (typeof p !== 'object' || p === null) return { ok: false, error: 'not a punch' }
  const value = typeof p.employee === 'string' && p.employee !== '' ? p.employee : p.emp
  if (typeof value !== 'string' || value === '') return { ok: false, error: `${String(p.id)}: no employee or badge to look up` }
  const time = wallClock(p, utcOffsetMinutes)
  if (time === undefined) return { ok: false, error: `${String(p.id)}: ts is not a time (${String(p.ts)})` }
  const args: CheckinArgs = {
    employee_field_value: value,
    employee_fieldname: employeeField,
    timestamp: time.text,
    device_id: typeof p.device === 'string' ? p.device : ''
  }
  const logType = LOG_TYPES.get(p.kind)
  if (logType !== undefined) args.log_type = logType
  const loc = p.loc
  if (loc !== undefined && loc !== null && Number.isFinite(loc.lat) && Number.isFinite(loc.lon)) {
    args.latitude = loc.lat
    args.longitude = loc.lon
  }
  return { ok: true, args, zone: time.zone }
}

// Frappe HR's Log Type is IN, OUT or empty; a break is leaving and coming back. `auto` is left empty so
// the Shift Type's "Alternating entries" rule decides.
const LOG_TYPES = new Map<unknown, 'IN' | 'OUT'>([['in', 'IN'], ['break-in', 'IN'], ['out', 'OUT'], ['break-out', 'OUT']])

function wallClock (p: UpstreamPunch, utcOffsetMinutes?: number): { text: string, zone: 'local' | 'offset' | 'utc' } | undefined {
  if (typeof p.local === 'string') {
    const m = LOCAL_WALL_CLOCK.exec(p.local)
    // Seconds only: Employee Checkin drops microseconds before validating (before_validate), so a
    // fraction would not make two punches in the same second distinct anyway.
    if (m !== null) return { text: `${m[1]} ${m[2]}`, zone: 'local' }
  }
  const ms = typeof p.ts === 'string' ? Date.parse(p.ts) : NaN
  if (!Number.isFinite(ms)) return undefined
  if (utcOffsetMinutes !== undefined) return { text: frappeDatetime(ms + utcOffsetMinutes * 60_000), zone: 'offset' }
  return { text: frappeDatetime(ms), zone: 'utc' }
}

/** `YYYY-MM-DD HH:MM:SS` of a time already shifted to the wanted wall clock. */
export function frappeDatetime (shiftedMs: number): string {
  return new Date(shiftedMs).toISOString().slice(0, 19).replace('T', ' ')
}

/** The UTC offset in minutes of a `local` ISO string (`…+08:00` → 480), or undefined. */
export function offsetOf (local: unknown): number | undefined {
  if (typeof local !== 'string') return undefined
  const m = /([+-])(\d{2}):(\d{2})$/.exec(local)
  if (m === null) return local.endsWith('Z') ? 0 : undefined
  const minutes = Number(m[2]) * 60 + Number(m[3])
  return m[1] === '-' ? -minutes : minutes
}
