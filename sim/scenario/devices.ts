/**
 * The devices a scenario describes, by id, and the ones a fault's selector picks. Ids are `{prefix}{n}`
 * with n from 1 zero-padded to 4 digits, so they sort in the order they are listed here.
 */
import type { DeviceGroupSpec, DeviceSelector, Scenario, SiteSpec } from './types.js'

export interface ScenarioDevice {
  id: string
  site: SiteSpec
  group: DeviceGroupSpec
}

export function deviceId (group: Pick<DeviceGroupSpec, 'prefix'>, n: number): string {
  return `${group.prefix}${String(n).padStart(4, '0')}`
}

/** A site's devices: its groups in order, each group's devices by n. */
export function siteDevices (site: SiteSpec): ScenarioDevice[] {
  const out: ScenarioDevice[] = []
  for (const group of site.devices) for (let n = 1; n <= group.count; n++) out.push({ id: deviceId(group, n), site, group })
  return out
}

/** Every device of the scenario: sites in order, then as `siteDevices`. */
export function scenarioDevices (s: Scenario): ScenarioDevice[] {
  return s.sites.flatMap(siteDevices)
}

/**
 * What a selector picks: the site's devices (or all), only the named ones when `devices` is given, the
 * first `count` of those when `count` is. An empty selector picks every device.
 */
export function selectDevices (s: Scenario, sel: DeviceSelector): ScenarioDevice[] {
  const names = sel.devices === undefined ? undefined : new Set(sel.devices)
  const picked = scenarioDevices(s).filter(d => (sel.site === undefined || d.site.id === sel.site) && (names === undefined || names.has(d.id)))
  return sel.count === undefined ? picked : picked.slice(0, sel.count)
}
