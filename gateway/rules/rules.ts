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
  /** a device clock corrected by more than this: clock-skew on the punches it stamped before (default 2 min) */
  clockSkewMs: number
  /** same person, same device, within this: double (default 60 s; 0 = off) */
  doubleWindowMs: number
  /** implied speed between a person's consecutive located punches above this: gps-jump (default 200 km/h; 0 = off) */
  gpsMaxSpeedKmh: number
  /** a jump farther than this when the times cannot be trusted (unsynced clock, synced late): gps-jump (default 50 km) */
  gpsMaxJumpKm: number
  /** a punch stored later than this after it was taken counts as taken offline for the GPS rule (default 15 min) */
  gpsOfflineAfterMs: number
  /** make-up punches per person per calendar month (site-local) before over-limit (0 = off) */
  manualMonthlyLimit: number
}

export const DEFAULT_RULES: RulesConfig = {
  lateSyncMs: 24 * 3600_000,
  expiredMs: 72 * 3600_000,
  futureToleranceMs: 5 * 60_000,
  clockSkewMs: 2 * 60_000,
  doubleWindowMs: 60_000,
  gpsMaxSpeedKmh: 200,
  gpsMaxJumpKm: 50,
  gpsOfflineAfterMs: 15 * 60_000,
  manualMonthlyLimit: 0
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
