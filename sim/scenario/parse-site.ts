/**
 * One `sites:` entry: where it is, its people, its devices and its shifts, and the checks that need all
 * of them together (watches need a place to be around; every person needs a device to punch on).
 */
import type { SiteSpec } from './types.js'
import { SCENARIO_DEFAULTS as D } from './defaults.js'
import { parseTz } from './calendar.js'
import { parseDeviceGroup } from './parse-devices.js'
import { parseShifts } from './parse-shifts.js'
import { Problems, at, list, numberIn, optional, parsed, record, required, text, wholeNumber } from './problems.js'

const SITE_FIELDS = ['id', 'tz', 'location', 'staff', 'devices', 'shifts', 'makeupRate'] as const
export const SITE_ID = /^[A-Za-z0-9_-]{1,32}$/

export function parseSite (p: Problems, path: string, raw: unknown, index: number): SiteSpec {
  const r = record(p, path, raw, SITE_FIELDS) ?? {}
  const id = required(p, at(path, 'id'), r.id)
    ? text(p, at(path, 'id'), r.id, SITE_ID, "letters, digits, '-' or '_', at most 32") ?? `site${index + 1}`
    : `site${index + 1}`
  // A site's offset is required: shifts are written in its local time, and a forgotten tz would move them silently.
  const tz = required(p, at(path, 'tz'), r.tz) ? parsed(p, at(path, 'tz'), r.tz, parseTz) ?? 0 : 0
  const location = r.location === undefined || r.location === null ? undefined : parseLocation(p, at(path, 'location'), r.location)
  const staff = required(p, at(path, 'staff'), r.staff) ? wholeNumber(p, at(path, 'staff'), r.staff, 0, 1_000_000) ?? 0 : 0
  const devices = required(p, at(path, 'devices'), r.devices)
    ? (list(p, at(path, 'devices'), r.devices, 1) ?? []).map((g, i) => parseDeviceGroup(p, at(at(path, 'devices'), i), g, id))
    : []
  const shifts = parseShifts(p, at(path, 'shifts'), r.shifts, staff > 0)
  const makeupRate = optional(r.makeupRate, D.makeupRate as number, v => numberIn(p, at(path, 'makeupRate'), v, 0, 1))
  const site: SiteSpec = { id, tz, staff, devices, shifts, makeupRate }
  if (location !== undefined) site.location = location
  checkPeopleHaveDevices(p, path, site)
  return site
}

function parseLocation (p: Problems, path: string, raw: unknown): SiteSpec['location'] {
  const r = record(p, path, raw, ['lat', 'lon', 'radiusM']) ?? {}
  const lat = required(p, at(path, 'lat'), r.lat) ? numberIn(p, at(path, 'lat'), r.lat, -90, 90) ?? 0 : 0
  const lon = required(p, at(path, 'lon'), r.lon) ? numberIn(p, at(path, 'lon'), r.lon, -180, 180) ?? 0 : 0
  const radiusM = optional(r.radiusM, D.radiusM as number, v => numberIn(p, at(path, 'radiusM'), v, 10, 100_000))
  return { lat, lon, radiusM }
}

/** One watch per person until they run out, the rest on terminals (sim/workload/people.ts). */
function checkPeopleHaveDevices (p: Problems, path: string, site: SiteSpec): void {
  const watches = site.devices.filter(g => g.kind === 'watch').reduce((n, g) => n + g.count, 0)
  const terminals = site.devices.filter(g => g.kind === 'terminal').reduce((n, g) => n + g.count, 0)
  if (watches > 0 && site.location === undefined) p.add(at(path, 'location'), 'is required when the site has watches: their GPS fixes are around it, and it is the geofence')
  if (site.staff > watches && terminals === 0 && site.devices.length > 0) {
    p.add(at(path, 'staff'), `${site.staff} people but only ${watches} watch${watches === 1 ? '' : 'es'} and no terminal: add terminals or watches, or lower staff`)
  }
}
