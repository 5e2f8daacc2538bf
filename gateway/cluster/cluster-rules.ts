/**
 * What a cluster store needs to flag the punches it stores (gateway/cluster/postgres/group-flagger.ts):
 * the single box's rules and sites, and the roster's answer. The history, and the devices' clock
 * corrections, the store reads itself, inside the group commit.
 */
import type { BadgeLookup } from '../rules/roster.js'
import type { RulesConfig } from '../rules/rules.js'
import type { SiteMap } from '../rules/sites.js'

export interface ClusterRules {
  config: RulesConfig
  sites: SiteMap
  /** the roster's answer for a badge on a device of a site (gateway/rules/roster.ts over the shared roster) */
  badge: (device: string, site: string, emp: string) => BadgeLookup
}
