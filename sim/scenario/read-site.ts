/**
 * A checked `sites:` entry read into a SiteSpec with its defaults, and the rules that need the whole site:
 * watches need a place to be around, and every person needs a device to punch on.
 */
import type { PunchMethod } from '../../shared/punch.js'
import type { SettingProblems } from '../../shared/settings-check.js'
import { settingPath as at } from '../../shared/settings-check.js'
import type { DeviceGroupSpec, SiteSpec } from './types.js'
import { SCENARIO_DEFAULTS as D } from './defaults.js'
import { parseTz } from './calendar.js'
import { readShifts } from './read-shifts.js'
import { entriesOf, fieldsOf, readAt, valueOf } from './reading.js'

export function readSite (p: SettingProblems, path: string, raw: unknown, index: number): SiteSpec {
  const r = fieldsOf(raw)
  const id = valueOf(p, at(path, 'id'), r.id, `site${index + 1}`)
  const tz = readAt(p, at(path, 'tz'), r.tz, 0, parseTz)
  const staff = valueOf(p, at(path, 'staff'), r.staff, 0)
  const devices = entriesOf(r.devices).map((g, i) => readDeviceGroup(p, at(at(path, 'devices'), i), g, id))
  const shifts = readShifts(p, at(path, 'shifts'), r.shifts, staff > 0)
  const makeupRate = valueOf(p, at(path, 'makeupRate'), r.makeupRate, D.makeupRate as number)
  const site: SiteSpec = { id, tz, staff, devices, shifts, makeupRate }
  if (r.location !== undefined) site.location = readLocation(p, at(path, 'location'), r.location)
  checkPeopleHaveDevices(p, path, site)
  return site
}

function readLocation (p: SettingProblems, path: string, raw: unknown): SiteSpec['location'] {
  const r = fieldsOf(raw)
  return {
    lat: valueOf(p, at(path, 'lat'), r.lat, 0),
    lon: valueOf(p, at(path, 'lon'), r.lon, 0),
    radiusM: valueOf(p, at(path, 'radiusM'), r.radiusM, D.radiusM as number)
  }
}

function readDeviceGroup (p: SettingProblems, path: string, raw: unknown, siteId: string): DeviceGroupSpec {
  const r = fieldsOf(raw)
  const kind = valueOf<DeviceGroupSpec['kind']>(p, at(path, 'kind'), r.kind, 'terminal')
  const ring = fieldsOf(r.ring)
  const uplink = fieldsOf(r.uplink)
  return {
    kind,
    count: valueOf(p, at(path, 'count'), r.count, 1),
    prefix: valueOf(p, at(path, 'prefix'), r.prefix, `${siteId}-${kind === 'watch' ? 'W' : 'T'}`),
    method: valueOf<PunchMethod>(p, at(path, 'method'), r.method, kind === 'watch' ? 'gps' : D.terminalMethod),
    ring: {
      capacity: valueOf(p, at(path, 'ring.capacity'), ring.capacity, D.ringCapacity[kind]),
      policy: valueOf<DeviceGroupSpec['ring']['policy']>(p, at(path, 'ring.policy'), ring.policy, D.ringPolicy)
    },
    uplink: {
      batchSize: valueOf(p, at(path, 'uplink.batchSize'), uplink.batchSize, D.uplink.batchSize as number),
      window: valueOf(p, at(path, 'uplink.window'), uplink.window, D.uplink.window as number)
    },
    clockDriftPpm: valueOf(p, at(path, 'clockDriftPpm'), r.clockDriftPpm, D.clockDriftPpm as number)
  }
}

/** One watch per person until they run out, the rest on terminals (sim/workload/people.ts). */
function checkPeopleHaveDevices (p: SettingProblems, path: string, site: SiteSpec): void {
  const watches = site.devices.filter(g => g.kind === 'watch').reduce((n, g) => n + g.count, 0)
  const terminals = site.devices.filter(g => g.kind === 'terminal').reduce((n, g) => n + g.count, 0)
  if (watches > 0 && site.location === undefined) p.add(at(path, 'location'), 'is required when the site has watches: their GPS fixes are around it, and it is the geofence')
  if (site.staff > watches && terminals === 0 && site.devices.length > 0) {
    p.add(at(path, 'staff'), `${site.staff} people but only ${watches} watch${watches === 1 ? '' : 'es'} and no terminal: add terminals or watches, or lower staff`)
  }
}
