/**
 * The quick run (`punchline sim` with no scenario) and `punchline demo` as scenarios built in code: one
 * site of terminals, each punching a fixed number of times (a steady workload, sim/workload/steady.ts),
 * an optional site outage, played by the scenario engine like any scenario file, with real device
 * runtimes and the same reconciliation.
 *
 * The quick run's flags were made for a loop in real time; they keep their meaning on the virtual clock:
 * - a step is one punch interval (never longer), so a device's punches fall in separate steps, in order;
 * - each step waits at most its own length of real time for the system to settle: where the real-time
 *   run moved on with the wall clock, this moves on no later, and sooner once everything has settled;
 * - the run lasts until the last punch is made or the outage has ended, whichever is later, as before;
 * - the drain timeout bounds the engine's drain (virtual time, and with the settle bound above no more
 *   real time than that either, give or take the work of each step).
 */
import type { EngineOptions } from './engine/engine.js'
import type { FaultSpec, Scenario, SiteSpec } from './scenario/types.js'
import { SCENARIO_DEFAULTS } from './scenario/defaults.js'
import { planPunches } from './workload/plan.js'

export interface QuickRunOptions {
  /** scenario name shown in the summary (default 'quick-run') */
  name?: string
  description?: string
  devices: number
  punchesPerDevice: number
  /** mean time between two punches on one device (ms) */
  intervalMs: number
  /** the site's link to the gateway goes down `atMs` after the start, for `forMs` */
  outage?: { atMs: number, forMs: number }
  ringCapacity: number
  policy?: 'refuse' | 'overwrite-oldest'
  /** how long the backlog may take to drain after the run (ms) */
  drainTimeoutMs: number
  seed: number
  /** virtual start, ms since 1970 (default: now, so the punches carry today's date as they did in real time) */
  startMs?: number
}

export interface QuickRun {
  scenario: Scenario
  /** the engine's bounds that carry the real-time run's meaning (above) */
  engine: Required<Pick<EngineOptions, 'settleMs' | 'drainMs'>>
}

export const QUICK_SITE = 'site'
/** Device ids `T-0001`...: the names the quick run has always used, which a remote gateway's secrets file lists. */
export const QUICK_PREFIX = 'T-'

export function quickRun (o: QuickRunOptions): QuickRun {
  const stepMs = Math.max(1, o.intervalMs)
  const site: SiteSpec = {
    id: QUICK_SITE,
    tz: 0,
    staff: 0,
    shifts: [],
    makeupRate: 0,
    devices: [{
      kind: 'terminal',
      count: o.devices,
      prefix: QUICK_PREFIX,
      method: 'card',
      ring: { capacity: o.ringCapacity, policy: o.policy ?? 'refuse' },
      uplink: { ...SCENARIO_DEFAULTS.uplink },
      clockDriftPpm: 0
    }]
  }
  const outage = o.outage !== undefined && o.outage.forMs > 0 ? o.outage : undefined
  const faults: FaultSpec[] = outage === undefined ? [] : [{ kind: 'site-outage', atMs: outage.atMs, forMs: outage.forMs, site: QUICK_SITE }]
  const startMs = o.startMs ?? Math.floor(Date.now() / 1000) * 1000
  const draft: Scenario = {
    name: o.name ?? 'quick-run',
    description: o.description ?? describe(o, outage),
    seed: o.seed,
    startMs,
    // Long enough for every punch; cut to the last one below.
    durationMs: o.punchesPerDevice * stepMs * 2 + stepMs,
    stepMs,
    sites: [site],
    faults,
    gateway: { rules: {}, retentionDays: SCENARIO_DEFAULTS.retentionDays },
    expect: {},
    steady: { punchesPerDevice: o.punchesPerDevice, intervalMs: o.intervalMs }
  }
  const lastPunch = planPunches(draft).at(-1)?.at ?? startMs
  const outageEnd = outage === undefined ? startMs : startMs + outage.atMs + outage.forMs
  const span = Math.max(lastPunch + 1, outageEnd) - startMs
  const durationMs = Math.max(1, Math.ceil(span / stepMs)) * stepMs
  return { scenario: { ...draft, durationMs }, engine: { settleMs: stepMs, drainMs: o.drainTimeoutMs } }
}

function describe (o: QuickRunOptions, outage: QuickRunOptions['outage']): string {
  const down = outage === undefined ? '' : `; the site link down ${outage.atMs} ms after the start for ${outage.forMs} ms`
  return `${o.devices} terminals, ${o.punchesPerDevice} punches each about every ${o.intervalMs} ms${down}`
}
