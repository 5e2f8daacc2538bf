/** Each site's make-up rules as the HTTP side asks for them: by device or by site id; '' (no site) gets the defaults. */
import type { SiteConfig, SiteMap } from '../rules/sites.js'
import { MAKEUP_DEFAULTS, type MakeupPolicy } from './policy.js'

export function makeupSites (sites: Record<string, SiteConfig>, map: SiteMap): { siteOf: (device: string) => string, policyOf: (site: string) => MakeupPolicy | undefined } {
  return {
    siteOf: (device) => map.of(device).site,
    policyOf: (site) => site === '' ? MAKEUP_DEFAULTS : Object.hasOwn(sites, site) ? sites[site].makeup ?? MAKEUP_DEFAULTS : undefined
  }
}
