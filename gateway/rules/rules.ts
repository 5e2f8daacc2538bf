/**
 * Rules add flags to a punch; they never drop one (DESIGN.md decision 6). Each rule is a small named
 * function; `flagPunch` runs them in order and joins what they say into the stored `flags` column.
 * Rules that need site configuration (geofence, roster, make-up limits) stay off until configured, so a
 * fresh, synced, well-formed punch from an unconfigured site gets no flags.
 */
import type { Flag } from '../../shared/flags.js'
import type { Punch } from '../../shared/punch.js'

export interface RuleContext {
  device: string
  tz: number | undefined
  /** when the gateway stores the punch (ms) */
  received: number
}

export interface RulesConfig {
  /** stored later than this after `ts`: late-sync (default 24 h) */
  lateSyncMs: number
  /** stored later than this after `ts`: expired instead of late-sync (default 72 h) */
  expiredMs: number
  /** `ts` ahead of the gateway's clock by more than this: future (default 5 min) */
  futureToleranceMs: number
}

export const DEFAULT_RULES: RulesConfig = {
  lateSyncMs: 24 * 3600_000,
  expiredMs: 72 * 3600_000,
  futureToleranceMs: 5 * 60_000
}

export type Rule = (p: Punch, ctx: RuleContext, cfg: RulesConfig) => Flag | undefined

export const lateSync: Rule = (p, ctx, cfg) => {
  const lag = ctx.received - p.ts
  if (lag > cfg.expiredMs) return 'expired'
  if (lag > cfg.lateSyncMs) return 'late-sync'
  return undefined
}

export const clockUnsynced: Rule = (p) => p.clock === 'unsynced' ? 'clock-unsynced' : undefined

export const future: Rule = (p, ctx, cfg) => p.ts - ctx.received > cfg.futureToleranceMs ? 'future' : undefined

export const manual: Rule = (p) => p.method === 'manual' ? 'manual' : undefined

export const RULES: readonly Rule[] = [lateSync, clockUnsynced, future, manual]

/** The flags of one punch as the comma-separated text stored with it ('' for none). */
export function flagPunch (p: Punch, ctx: RuleContext, cfg: RulesConfig, rules: readonly Rule[] = RULES): string {
  let out = ''
  for (let i = 0; i < rules.length; i++) {
    const f = rules[i](p, ctx, cfg)
    if (f !== undefined) out = out === '' ? f : out + ',' + f
  }
  return out
}
