/**
 * Rules add flags to a punch; they never drop one (docs/ARCHITECTURE.md, decision 6). Each rule is a small
 * named function of the punch, what the gateway knows around it (`RuleContext`) and the settings; `flagPunch`
 * runs them in order and joins what they say into the stored `flags` column.
 *
 * Rules that need site configuration (geofence, roster, make-up limit) stay off until configured, so a
 * fresh, synced, well-formed punch from an unconfigured site gets no flags. Rules that look at a person's
 * other punches (double, gps-jump, over-limit) read them through `history`, inside the commit's
 * transaction; without a history (unit use) they say nothing.
 */
import type { Flag } from '../../shared/flags.js'
import type { Punch } from '../../shared/punch.js'
import type { Geofence } from './geo.js'
import { distanceM, outsideAll } from './geo.js'
import type { PersonKey, RuleHistory, LocatedPunch } from './history.js'
import type { BadgeLookup } from './roster.js'

/** The device's last big clock correction, from its status (`clock.lastJumpMs`, `clock.lastJumpAt`). */
export interface ClockJumpInfo {
  byMs: number
  at: number
}

export interface RuleContext {
  device: string
  epoch?: string
  tz: number | undefined
  /** when the gateway stores the punch (ms) */
  received: number
  /** the roster's answer for this badge on this device (absent: no roster) */
  badge?: BadgeLookup
  /** the site's fences (absent or empty: the geofence rule is off) */
  geofences?: readonly Geofence[]
  jump?: ClockJumpInfo
  history?: RuleHistory
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

/**
 * Stamped before the device's last clock correction, when that correction was bigger than the limit:
 * the device's own clock was off by that much when it took the punch ("clocks moved by hours at connect").
 * The old clock read `at - byMs` at the moment of the jump, so punches stamped below the later of the two
 * times were stamped by it (for a backward jump this errs on the side of flagging).
 */
export const clockSkew: Rule = (p, ctx, cfg) => {
  const j = ctx.jump
  if (j === undefined || Math.abs(j.byMs) <= cfg.clockSkewMs || p.clock === 'unsynced') return undefined
  return p.ts < Math.max(j.at, j.at - j.byMs) ? 'clock-skew' : undefined
}

export const manual: Rule = (p) => p.method === 'manual' ? 'manual' : undefined

export const unknownBadge: Rule = (p, ctx) =>
  ctx.badge !== undefined && ctx.badge.configured && ctx.badge.employee === undefined ? 'unknown-badge' : undefined

export const outsideGeofence: Rule = (p, ctx) =>
  p.loc !== undefined && ctx.geofences !== undefined && outsideAll(p.loc.lat, p.loc.lon, p.loc.acc, ctx.geofences) ? 'outside-geofence' : undefined

function personOf (p: Punch, ctx: RuleContext): PersonKey {
  return { device: ctx.device, emp: p.emp, person: ctx.badge?.employee }
}

function selfOf (p: Punch, ctx: RuleContext): { epoch: string, seq: number } {
  return { epoch: ctx.epoch ?? '', seq: p.seq }
}

/** Same person, same device, within the window, either side: the person punched twice. */
export const double: Rule = (p, ctx, cfg) => {
  if (ctx.history === undefined || cfg.doubleWindowMs === 0) return undefined
  return ctx.history.hasNear(personOf(p, ctx), selfOf(p, ctx), p.ts, cfg.doubleWindowMs) ? 'double' : undefined
}

/**
 * Implausible movement between this punch and the person's located punches just before and after it:
 * faster than gpsMaxSpeedKmh, or (when the times cannot be trusted: an unsynced clock, or a punch stored
 * long after it was taken, i.e. offline) farther than gpsMaxJumpKm. Movement within the two fixes'
 * accuracy is not movement.
 */
export const gpsJump: Rule = (p, ctx, cfg) => {
  if (p.loc === undefined || ctx.history === undefined) return undefined
  const loc = p.loc
  const neighbours = ctx.history.neighbours(personOf(p, ctx), selfOf(p, ctx), p.ts)
  const offline = (n: { clock: string, received: number, ts: number }): boolean =>
    n.clock === 'unsynced' || n.received - n.ts > cfg.gpsOfflineAfterMs
  const selfOffline = offline({ clock: p.clock, received: ctx.received, ts: p.ts })
  const jumped = (n: LocatedPunch | undefined): boolean => {
    if (n === undefined) return false
    const metres = distanceM(loc.lat, loc.lon, n.lat, n.lon) - loc.acc - n.acc
    if (metres <= 0) return false
    const untrusted = selfOffline || offline(n)
    if (untrusted && cfg.gpsMaxJumpKm > 0 && metres > cfg.gpsMaxJumpKm * 1000) return true
    if (p.clock === 'unsynced' || n.clock === 'unsynced' || cfg.gpsMaxSpeedKmh === 0) return false
    const hours = Math.abs(p.ts - n.ts) / 3_600_000
    return metres / 1000 > cfg.gpsMaxSpeedKmh * hours
  }
  return jumped(neighbours[0]) || jumped(neighbours[1]) ? 'gps-jump' : undefined
}

/** Site-local calendar month [start, end) of ts, in ms since 1970. */
export function monthOf (ts: number, tzMinutes: number): [number, number] {
  const shift = tzMinutes * 60_000
  const d = new Date(ts + shift)
  return [Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - shift, Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - shift]
}

/**
 * A make-up punch beyond the person's monthly allowance (the site-local calendar month of its ts). The
 * punch that finds the allowance used up is the one flagged: with devices draining newest first that is
 * the one stored last, not always the one taken last.
 */
export const overLimit: Rule = (p, ctx, cfg) => {
  if (p.method !== 'manual' || cfg.manualMonthlyLimit === 0 || ctx.history === undefined) return undefined
  const [from, to] = monthOf(p.ts, ctx.tz ?? 0)
  return ctx.history.manualCount(personOf(p, ctx), selfOf(p, ctx), from, to) >= cfg.manualMonthlyLimit ? 'over-limit' : undefined
}

export const RULES: readonly Rule[] = [
  lateSync, clockUnsynced, future, clockSkew, double, gpsJump, outsideGeofence, manual, overLimit, unknownBadge
]

/** The flags of one punch as the comma-separated text stored with it ('' for none). */
export function flagPunch (p: Punch, ctx: RuleContext, cfg: RulesConfig, rules: readonly Rule[] = RULES): string {
  let out = ''
  for (let i = 0; i < rules.length; i++) {
    const f = rules[i](p, ctx, cfg)
    if (f !== undefined) out = out === '' ? f : out + ',' + f
  }
  return out
}
