/**
 * One `devices:` entry of a site: a group of identical terminals or watches.
 */
import { PUNCH_METHODS, LIMITS, type PunchMethod } from '../../shared/punch.js'
import type { DeviceGroupSpec } from './types.js'
import { SCENARIO_DEFAULTS as D } from './defaults.js'
import { Problems, at, oneOf, optional, record, required, text, wholeNumber, numberIn } from './problems.js'

const GROUP_FIELDS = ['kind', 'count', 'prefix', 'method', 'ring', 'uplink', 'clockDriftPpm'] as const

/** A terminal is punched by badge, finger, face, PIN or BLE; gps is how a watch punches, manual is for make-ups only. */
const TERMINAL_METHODS = PUNCH_METHODS.filter(m => m !== 'gps' && m !== 'manual')

/** Prefix + 4 or more digits must stay a device id (DEVICE_ID_PATTERN, 64 chars). */
const PREFIX = /^[A-Za-z0-9_-]{1,56}$/

export function parseDeviceGroup (p: Problems, path: string, raw: unknown, siteId: string): DeviceGroupSpec {
  const r = record(p, path, raw, GROUP_FIELDS) ?? {}
  const kind = required(p, at(path, 'kind'), r.kind) ? oneOf(p, at(path, 'kind'), r.kind, ['terminal', 'watch'] as const) ?? 'terminal' : 'terminal'
  const count = required(p, at(path, 'count'), r.count) ? wholeNumber(p, at(path, 'count'), r.count, 1, 100_000) ?? 1 : 1
  const prefix = optional(r.prefix, `${siteId}-${kind === 'watch' ? 'W' : 'T'}`, v => text(p, at(path, 'prefix'), v, PREFIX, "letters, digits, '-' or '_', at most 56 of them (ids are the prefix and a 4-digit number)"))
  const method = kind === 'watch'
    ? optional(r.method, 'gps' as PunchMethod, v => oneOf(p, at(path, 'method'), v, ['gps'] as const))
    : optional(r.method, D.terminalMethod as PunchMethod, v => oneOf(p, at(path, 'method'), v, TERMINAL_METHODS))

  const ringPath = at(path, 'ring')
  const ring = optional(r.ring, {}, v => record(p, ringPath, v, ['capacity', 'policy']))
  const capacity = optional(ring.capacity, D.ringCapacity[kind], v => wholeNumber(p, at(ringPath, 'capacity'), v, 1, 1_000_000))
  const policy = optional(ring.policy, D.ringPolicy, v => oneOf(p, at(ringPath, 'policy'), v, ['refuse', 'overwrite-oldest'] as const))

  const upPath = at(path, 'uplink')
  const uplink = optional(r.uplink, {}, v => record(p, upPath, v, ['batchSize', 'window']))
  const batchSize = optional(uplink.batchSize, D.uplink.batchSize, v => wholeNumber(p, at(upPath, 'batchSize'), v, 1, LIMITS.maxPunchesPerBatch))
  const window = optional(uplink.window, D.uplink.window, v => wholeNumber(p, at(upPath, 'window'), v, 1, 100))

  // Real RTCs drift by tens of ppm; 10,000 ppm (15 min a day) is already a broken one.
  const clockDriftPpm = optional(r.clockDriftPpm, D.clockDriftPpm, v => numberIn(p, at(path, 'clockDriftPpm'), v, -10_000, 10_000))
  return { kind, count, prefix, method, ring: { capacity, policy }, uplink: { batchSize, window }, clockDriftPpm }
}
