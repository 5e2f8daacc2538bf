/**
 * The rules step of the publish path, run inside the group commit's transaction just before each insert:
 * gathers what the rules need about one punch (its site and fences, the roster's answer, the device's
 * clock, the person's other punches) and stores the flags and the person with the row.
 */
import type { PunchRow } from '../store/punch-store.js'
import type { PunchHistory } from './history.js'
import type { DeviceClocks } from './device-clocks.js'
import type { Roster } from './roster.js'
import type { SiteMap } from './sites.js'
import { flagPunch, type RuleContext, type RulesConfig } from './rules.js'

export interface FlaggerParts {
  rules: RulesConfig
  sites: SiteMap
  roster: Roster
  clocks: DeviceClocks
  history: PunchHistory
}

export class Flagger {
  readonly #p: FlaggerParts

  constructor (parts: FlaggerParts) {
    this.#p = parts
  }

  flag (row: PunchRow, received: number): void {
    const p = this.#p
    const site = p.sites.of(row.device)
    const badge = p.roster.lookup(row.device, site.site, row.punch.emp)
    const ctx: RuleContext = {
      device: row.device,
      epoch: row.epoch,
      tz: row.tz,
      received,
      badge,
      geofences: site.geofences,
      jump: p.clocks.jump(row.device),
      history: p.history
    }
    row.flags = flagPunch(row.punch, ctx, p.rules)
    row.person = badge.employee
  }
}
