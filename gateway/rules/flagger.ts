/**
 * The rules step of the publish path, run inside the group commit's transaction just before each insert:
 * gathers what the rules need about one punch (its site and fences, the roster's answer, the device's
 * clock, the person's other punches) and stores the flags and the person with the row.
 *
 * Two halves, because the commit may run on a thread of its own (ingest/pipelined-commit.ts): what lives
 * in the gateway's memory (the roster, the devices' clocks) is looked up where it lives, when the group is
 * handed to the commit (`Flagger.inputs`); what needs the stored punches (history) and the settings runs
 * inside the transaction (`RowFlagger`), so punches stored earlier in the same commit count too.
 */
import type { PunchRow } from '../store/punch-store.js'
import type { RuleHistory } from './history.js'
import type { DeviceClocks } from './device-clocks.js'
import type { BadgeLookup, Roster } from './roster.js'
import type { SiteMap } from './sites.js'
import { flagPunch, type ClockJumpInfo, type RuleContext, type RulesConfig } from './rules.js'

/** What the rules need about one row from the gateway's memory; plain data, so it can cross to a thread. */
export interface FlagInputs {
  badge: BadgeLookup
  jump: ClockJumpInfo | undefined
}

export interface RowFlaggerParts {
  rules: RulesConfig
  sites: SiteMap
  history: RuleHistory
}

export interface FlaggerParts extends RowFlaggerParts {
  roster: Roster
  clocks: DeviceClocks
}

/** The half that runs inside the transaction: the rules themselves, over the stored punches. */
export class RowFlagger {
  readonly #p: RowFlaggerParts

  constructor (parts: RowFlaggerParts) {
    this.#p = parts
  }

  flag (row: PunchRow, received: number, inputs: FlagInputs): void {
    const p = this.#p
    const ctx: RuleContext = {
      device: row.device,
      epoch: row.epoch,
      tz: row.tz,
      received,
      badge: inputs.badge,
      geofences: p.sites.of(row.device).geofences,
      jump: inputs.jump,
      history: p.history
    }
    row.flags = flagPunch(row.punch, ctx, p.rules)
    row.person = inputs.badge.employee
  }
}

export class Flagger {
  readonly #p: FlaggerParts
  readonly #rows: RowFlagger

  constructor (parts: FlaggerParts) {
    this.#p = parts
    this.#rows = new RowFlagger(parts)
  }

  /** The roster's answer and the device's clock for a row, as they are now. */
  inputs (row: PunchRow): FlagInputs {
    const p = this.#p
    return {
      badge: p.roster.lookup(row.device, p.sites.of(row.device).site, row.punch.emp),
      jump: p.clocks.jump(row.device)
    }
  }

  /** Both halves at once, inside the transaction of an in-process commit (ingest/group-commit.ts). */
  flag (row: PunchRow, received: number): void {
    this.#rows.flag(row, received, this.inputs(row))
  }
}
