/**
 * A `sites:` entry of a scenario file as a JSON Schema: where the site is, its people, its device groups
 * and its shifts (docs/SCENARIOS.md, "Sites"). Values written with units name their `syntax`
 * (sim/scenario/syntaxes.ts); what needs the whole site (shares that add up to 1, breaks inside their
 * shift, watches that need a location) is checked by sim/scenario/read-site.ts and read-shifts.ts.
 */
import { LIMITS, PUNCH_METHODS } from '../../shared/punch.js'
import { numberBetween, section, wholeBetween } from '../../shared/settings-schema.js'
import { SCENARIO_DEFAULTS as D } from './defaults.js'
import { formatDuration } from './duration.js'
import { written } from './syntaxes.js'

/** A terminal is punched by badge, finger, face, PIN or BLE; gps is how a watch punches, manual is for make-ups only. */
const TERMINAL_METHODS = PUNCH_METHODS.filter(m => m !== 'gps' && m !== 'manual')

const location = section({
  lat: numberBetween(-90, 90),
  lon: numberBetween(-180, 180),
  radiusM: { ...numberBetween(10, 100_000), default: D.radiusM }
}, ['lat', 'lon'])

const deviceGroup = {
  ...section({
    kind: { enum: ['terminal', 'watch'], problem: 'must be terminal or watch' },
    count: wholeBetween(1, 100_000),
    // The prefix and 4 or more digits must stay a device id (DEVICE_ID_PATTERN, 64 characters).
    prefix: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,56}$', problem: "must be letters, digits, '-' or '_', at most 56 of them (ids are the prefix and a 4-digit number)" },
    method: { type: 'string' },
    ring: section({
      capacity: wholeBetween(1, 1_000_000),
      policy: { enum: ['refuse', 'overwrite-oldest'], problem: 'must be refuse or overwrite-oldest', default: D.ringPolicy }
    }),
    uplink: section({
      batchSize: { ...wholeBetween(1, LIMITS.maxPunchesPerBatch), default: D.uplink.batchSize },
      window: { ...wholeBetween(1, 100), default: D.uplink.window }
    }),
    // Real RTCs drift by tens of ppm; 10,000 ppm (15 min a day) is already a broken one.
    clockDriftPpm: { ...numberBetween(-10_000, 10_000), default: D.clockDriftPpm }
  }, ['kind', 'count']),
  if: { properties: { kind: { const: 'watch' } }, required: ['kind'] },
  then: { properties: { method: { enum: ['gps'], problem: 'must be gps: a watch punches with its GPS fix' } } },
  else: { properties: { method: { enum: TERMINAL_METHODS, problem: `must be one of ${TERMINAL_METHODS.join(', ')}`, default: D.terminalMethod } } }
}

const shift = section({
  name: { type: 'string', pattern: '^\\S.{0,63}$', problem: 'must be a name of 1 to 64 characters' },
  start: written('time-of-day'),
  end: written('end-of-shift'),
  days: written('weekdays', { default: D.shiftDays }),
  breaks: { type: 'array', items: section({ start: written('time-of-day'), length: written('duration') }, ['start', 'length']) },
  staffShare: numberBetween(0, 1),
  spread: written('duration', { default: formatDuration(D.spreadMs) })
}, ['start', 'end'])

export const siteSchema = section({
  id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$', problem: "must be letters, digits, '-' or '_', at most 32" },
  // Required: shifts are written in the site's local time, and a forgotten tz would move them silently.
  tz: written('tz'),
  location,
  staff: wholeBetween(0, 1_000_000),
  devices: { type: 'array', minItems: 1, items: deviceGroup, problem: 'must list at least one device group' },
  shifts: { type: 'array', items: shift },
  makeupRate: { ...numberBetween(0, 1), default: D.makeupRate }
}, ['id', 'tz', 'staff', 'devices'])
