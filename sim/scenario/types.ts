/**
 * A simulator scenario: sites, their devices and people, the shifts they work, and faults on a timeline.
 * Scenario files (YAML or JSON, docs/SCENARIOS.md) are parsed and validated into this shape; durations
 * and times of day are already in ms, times on the timeline are ms after the scenario's start (virtual).
 * Defaults below are what `parseScenario` fills in when a file leaves a field out (sim/scenario/defaults.ts).
 */
import type { PunchMethod } from '../../shared/punch.js'
import type { RulesConfig } from '../../gateway/rules/rules.js'

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun'

export interface ShiftSpec {
  /** default `shift1`, `shift2`, ... by position */
  name: string
  /** ms after local midnight (file: 'HH:MM', required) */
  startMs: number
  /** ms after local midnight; before start = ends the next day (a night shift) (file: 'HH:MM' or '24:00', required) */
  endMs: number
  /** default mon-fri */
  days: Weekday[]
  /** breaks punched out and in: start ms after local midnight, length ms; inside the shift (default none) */
  breaks: Array<{ startMs: number, lengthMs: number }>
  /** the share of the site's staff on this shift, 0..1; shares left out split the rest evenly, all add up to 1 */
  staffShare: number
  /** arrivals and departures spread normally around the times with this standard deviation (ms; default 5 min, at most 2 h) */
  spreadMs: number
}

export interface DeviceGroupSpec {
  kind: 'terminal' | 'watch'
  /** 1..100000 */
  count: number
  /** device ids are `{prefix}{n}`, n from 1, zero-padded to 4 digits (default `{site}-T` / `{site}-W`) */
  prefix: string
  /** how people punch on it (watches: gps; terminals: default card) */
  method: PunchMethod
  /** default capacity 10000 for a terminal, 2000 for a watch; policy refuse */
  ring: { capacity: number, policy: 'refuse' | 'overwrite-oldest' }
  /** default batchSize 100, window 2 */
  uplink: { batchSize: number, window: number }
  /** the device clock runs fast (+) or slow (-) by this many parts per million (default 0) */
  clockDriftPpm: number
}

export interface SiteSpec {
  id: string
  /** site-local UTC offset, minutes (file: '+08:00' or minutes; required) */
  tz: number
  /** where the site is; watches' GPS tracks stay around it, and it becomes the gateway's geofence (required with watches; radiusM default 200) */
  location?: { lat: number, lon: number, radiusM: number }
  /** people; the first get a watch each while there are watches, the rest share the terminals */
  staff: number
  devices: DeviceGroupSpec[]
  /** at least one when staff > 0 */
  shifts: ShiftSpec[]
  /** share of punches a person forgets and makes up later as a manual punch, 0..1 (default 0) */
  makeupRate: number
}

/** Which devices a fault applies to: all of a site's, a number of them, or named ones. */
export interface DeviceSelector {
  /** an empty selector (the default) picks every device of the scenario */
  site?: string
  /** the first n matching devices */
  count?: number
  devices?: string[]
}

/** Defaults (file fields drop the `Ms`): flapping up 60 s / down 30 s, latency 200 ms / jitter 0,
 * gateway-restart down 30 s / crash false, upstream-outage status 503, power-cut off 60 s / tornWrite true,
 * gps-spoof km 100, select: every device. `site` defaults to the only site when there is one. */
export type FaultSpec =
  /** the site's link to the gateway is down */
  | { kind: 'site-outage', atMs: number, forMs: number, site: string }
  /** the link goes down and up in a cycle */
  | { kind: 'flapping', atMs: number, forMs: number, site: string, upMs: number, downMs: number }
  /** added latency on the site's link (real ms) */
  | { kind: 'latency', atMs: number, forMs: number, site: string, latencyMs: number, jitterMs: number }
  /** the gateway process stops (SIGKILL-like when `crash`) and comes back after `downMs` */
  | { kind: 'gateway-restart', atMs: number, downMs: number, crash: boolean }
  /** the upstream answers `status` (503) for a while */
  | { kind: 'upstream-outage', atMs: number, forMs: number, status: number }
  /** devices lose power, the last ring write torn when `tornWrite`; back after `offMs` */
  | { kind: 'power-cut', atMs: number, offMs: number, select: DeviceSelector, tornWrite: boolean }
  /** the RTC loses its time: the device comes back in 2000 with an unsynced clock until the gateway sets it */
  | { kind: 'rtc-loss', atMs: number, select: DeviceSelector }
  /** the device clock jumps by `byMs` (a bad NTP step, a manual change) */
  | { kind: 'clock-jump', atMs: number, byMs: number, select: DeviceSelector }
  /** watches report a location `km` away (spoofed or a bad fix) for their next punch */
  | { kind: 'gps-spoof', atMs: number, km: number, select: DeviceSelector }
  /** the upstream refuses one punch for good (a record it cannot take), which ends in dead letters */
  | { kind: 'poison-record', atMs: number, select: DeviceSelector }
  /** every device drops its connection at once and reconnects (after an access point reboot) */
  | { kind: 'thundering-herd', atMs: number }

/** What a scenario that is meant to lose must show; checked exactly by the reconciliation. */
export interface Expectations {
  overwritten?: number
  refused?: number
  deadLettered?: number
  rejected?: number
  /** flags that must appear on at least this many delivered punches */
  flags?: Record<string, number>
}

export interface Scenario {
  /** default: the file's name without its extension */
  name: string
  /** default '' */
  description: string
  /** default 1 */
  seed: number
  /** virtual start, ms since 1970 (default 2026-11-23, a Monday, 00:00 in the first site's tz) */
  startMs: number
  /** default 7 days */
  durationMs: number
  /** virtual time advanced per simulation step (default 60 s) */
  stepMs: number
  sites: SiteSpec[]
  /** default none */
  faults: FaultSpec[]
  /** default rules {} (the gateway's own), retentionDays 90 */
  gateway: { rules: Partial<RulesConfig>, retentionDays: number }
  /** default {} */
  expect: Expectations
  /**
   * A steady load on top of the shifts: every device of every site punches this many times, one person
   * each time. Only generated scenarios have one (the quick run and the demo, sim/quick-scenario.ts);
   * scenario files describe people and shifts instead.
   */
  steady?: SteadyWorkload
}

/** N punches on each device, one every `intervalMs` on average (each gap drawn between half and one and a half times it). */
export interface SteadyWorkload {
  punchesPerDevice: number
  intervalMs: number
}

/** One punch a person makes, as the workload generator plans it (virtual ms since 1970). */
export interface PlannedPunch {
  /** when it is made on the device (a make-up: when it is entered, hours after `manual.forTs`) */
  at: number
  device: string
  emp: string
  kind: 'in' | 'out' | 'break-out' | 'break-in'
  method: PunchMethod
  loc?: { lat: number, lon: number, acc: number }
  /** a make-up punch: made at `at` for a time in the past (`forTs`) */
  manual?: { reason: string, forTs: number }
}
