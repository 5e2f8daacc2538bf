/**
 * What the console reads from /api/v1, as the console uses it. The fleet views answered in their first
 * form (a bare list of device rows, `{evaluatedAt, alarms}`) before the device and alarm routes took the
 * `{items}` form; the readers here take either, so the console works against both.
 */
import type { Flag } from '../../shared/flags.js'

export type Role = 'admin' | 'hr' | 'viewer'

export interface Who {
  name: string
  role: Role
  via: 'session' | 'token' | 'site-token'
  csrfToken?: string
  expires?: number
  /** set by a gateway that wants a first password changed before anything else */
  mustChangePassword?: boolean
  /** what serves the API: a single box's gateway, or a cluster's console (absent: an older gateway, single) */
  mode?: ApiMode
}

export type ApiMode = 'single' | 'cluster'

export interface Device {
  id: string
  online: boolean
  lastSeen: number | null
  site?: string | null
  ring?: { pending: number, capacity: number, fill: number, oldestPendingTs: number | null } | null
  clockOffsetMs?: number | null
  /** charge, 0 to 1 (docs/PROTOCOL.md, the status message) */
  battery?: number | null
  firmware?: string | null
}

export type Severity = 'critical' | 'major' | 'minor' | 'warning'

export interface Alarm {
  name: string
  device?: string
  severity: Severity
  message: string
  raisedAt?: number
  /** who acknowledged this raise and when; null while nobody has (absent from a gateway without acks) */
  acked?: { by: string, at: number } | null
}

export interface Backlog {
  batches: number
  pendingPunches: number
  oldestReceived: number | null
  deadLetters: number
  /** a cluster's console: the count stopped at its cap, a floor */
  capped?: boolean
}

export interface HistoryPoint { t: number, backlog: number, delivered: number, received: number, devicesOnline: number }
export interface History {
  /** the interval between points: delivered and received count per interval */
  sampleSeconds?: number
  points: HistoryPoint[]
}

export interface Punch {
  id: number
  device: string
  seq?: number
  ts: number
  emp: string
  person?: string | null
  kind: string
  method?: string
  flags: Flag[] | string[]
  received: number
  manual?: string | null
  site?: string
  /** whether the upstream has it */
  delivered?: boolean
}

export interface DeadLetter {
  rowId: number
  punch: string
  emp: string
  ts: number
  status: number | null
  reason: string
  at: number
  kind: 'refused' | 'unmapped'
}

export interface Makeup {
  id: number
  emp: string
  /** ISO 8601 with the offset it was asked with (ms since the epoch in the first drafts of the route) */
  ts: string | number
  kind: string
  reason: string
  evidence?: string | null
  status: string
  requestedBy: string
  requestedAt: number
  decidedBy?: string | null
  decidedAt?: number | null
  comment?: string | null
  /** the upstream id of the punch an approval made */
  punchId?: string | number | null
  device?: string | null
  site?: string
  /** site rules it was let through beyond, for hr to weigh */
  exceptions?: string[]
  /** the evidence file, when one was added (GET /api/v1/makeups/{id}/attachment) */
  attachment?: { type: string, size: number } | null
}

export interface Review {
  punch: Punch
  status: string
  decidedBy?: string | null
  decidedAt?: number | null
  comment?: string | null
}

export interface Operator { name: string, role: Role, created: number, disabled: number | null }
export interface ApiTokenRow { name: string, role: Role, created: number, createdBy: string, disabled: number | null }
export interface AuditEntry { id: number, at: number, actor: string, action: string, target: string | null, detail: string | null }

interface LegacyDeviceRow {
  id: string
  lastSeen: number | null
  status: {
    online?: boolean
    fw?: string
    battery?: number
    clock?: { offsetMs?: number }
    ring?: { pending?: number, capacity?: number, oldestPendingTs?: number | null }
  } | null
}

function fromLegacyDevice (row: LegacyDeviceRow): Device {
  const s = row.status ?? {}
  const capacity = s.ring?.capacity ?? 0
  const pending = s.ring?.pending ?? 0
  return {
    id: row.id,
    online: s.online === true,
    lastSeen: row.lastSeen,
    ring: s.ring === undefined ? null : { pending, capacity, fill: capacity > 0 ? pending / capacity : 0, oldestPendingTs: s.ring.oldestPendingTs ?? null },
    clockOffsetMs: s.clock?.offsetMs ?? null,
    battery: s.battery ?? null,
    firmware: s.fw ?? null
  }
}

function isDevice (d: Device | LegacyDeviceRow): d is Device {
  return typeof (d as Device).online === 'boolean'
}

export function readDevice (d: Device | LegacyDeviceRow): Device {
  return isDevice(d) ? d : fromLegacyDevice(d)
}

export function readDevices (body: { items: Array<Device | LegacyDeviceRow> } | LegacyDeviceRow[]): Device[] {
  const rows = Array.isArray(body) ? body : body.items
  return rows.map(readDevice)
}

export function readAlarms (body: { items: Alarm[] } | { alarms: Array<{ name: string, severity: Severity, message: string, subject?: string }> }): Alarm[] {
  if ('items' in body) return body.items
  return body.alarms.map(a => ({ name: a.name, device: a.subject, severity: a.severity, message: a.message }))
}

export function readDeadLetters (body: { items: DeadLetter[] } | DeadLetter[]): DeadLetter[] {
  return Array.isArray(body) ? body : body.items
}
