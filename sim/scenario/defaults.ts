/**
 * What a scenario file may leave out, in one place so docs/SCENARIOS.md, the schema (its `default`
 * annotations, sim/scenario/schema.ts), the readers that apply them and the types' comments agree.
 * Times are ms.
 */
export const SCENARIO_DEFAULTS = {
  seed: 1,
  stepMs: 60_000,
  /** a Monday: '2026-11-23', site-local midnight of the first site */
  start: '2026-11-23',
  /** a week: every weekday of a rota once */
  durationMs: 7 * 86_400_000,
  /** terminals hold a few days of a big site's punches; a watch is one person's, and has less flash */
  ringCapacity: { terminal: 10_000, watch: 2000 },
  /** the design's default (docs/ARCHITECTURE.md, decision 4): a full ring refuses, it does not destroy */
  ringPolicy: 'refuse',
  uplink: { batchSize: 100, window: 2 },
  clockDriftPpm: 0,
  makeupRate: 0,
  spreadMs: 5 * 60_000,
  /** Monday to Friday */
  shiftDays: 'mon-fri',
  /** how people punch on a terminal; a watch is always gps */
  terminalMethod: 'card',
  /** a geofence radius when `location` gives none (m) */
  radiusM: 200,
  /** the gateway keeps delivered punches as long as its own default (gateway config retention.deliveredDays) */
  retentionDays: 90,
  faults: {
    flappingUpMs: 60_000,
    flappingDownMs: 30_000,
    latencyMs: 200,
    jitterMs: 0,
    gatewayDownMs: 30_000,
    crash: false,
    upstreamStatus: 503,
    powerOffMs: 60_000,
    tornWrite: true,
    spoofKm: 100
  }
} as const
