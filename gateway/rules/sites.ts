/**
 * Which site a device belongs to. A site groups devices for the roster's `site:` scope, the geofence and
 * the watermark. Entries are exact ids or prefixes ending in '*'; the first site in the config file whose
 * entry matches owns the device, and a device in no site belongs to the site '' (none).
 */
import type { Geofence } from './geo.js'
import type { MakeupPolicy } from '../makeup/policy.js'

/** A site as the config file gives it (gateway/config.ts reads and validates it). */
export interface SiteConfig {
  /** device ids, or prefixes ending in '*' ('T-*'); the first site that matches a device owns it */
  devices: string[]
  /** where located punches are expected; empty = the outside-geofence rule is off for this site */
  geofences: Geofence[]
  /** the site's rules for make-up punches; absent: MAKEUP_DEFAULTS */
  makeup?: MakeupPolicy
}

export interface SiteOf {
  site: string
  geofences: readonly Geofence[]
}

const NONE: SiteOf = { site: '', geofences: [] }

export class SiteMap {
  readonly #entries: Array<{ id: string, match: string, prefix: boolean, site: SiteOf }> = []
  readonly #cache = new Map<string, SiteOf>()

  constructor (sites: Record<string, SiteConfig>) {
    for (const [id, s] of Object.entries(sites)) {
      const site = { site: id, geofences: s.geofences }
      for (const d of s.devices) {
        const prefix = d.endsWith('*')
        this.#entries.push({ id, match: prefix ? d.slice(0, -1) : d, prefix, site })
      }
    }
  }

  get configured (): boolean { return this.#entries.length > 0 }

  of (device: string): SiteOf {
    let hit = this.#cache.get(device)
    if (hit !== undefined) return hit
    hit = NONE
    for (const e of this.#entries) {
      if (e.prefix ? device.startsWith(e.match) : device === e.match) { hit = e.site; break }
    }
    // Bounded by the number of devices that ever connected, which the devices table bounds anyway.
    this.#cache.set(device, hit)
    return hit
  }
}
