/**
 * What the drain's figures (bench/drain-figures.ts) say: medians over runs, ratios to the baselines, the
 * median run's timeline and request mix, where the gateway's CPU went, and the verdicts the section's prose
 * turns on. Pure: the same figures give the same analysis, so it is tested with figures made by hand.
 */
import type { DrainFigures, DrainRun, DrainSample, FleetRun } from './drain-figures.js'
import { median } from './stats.js'

/** the drain's targets: issue 6 set 60 s, issue 15 tightened it to 45 s (and RSS ≤ 300 MB) */
export const TARGET_SECONDS = 45
export const TARGET_RSS_MB = 300
export const MB = 1024 * 1024

/** a drain that ends within this many seconds (or a tenth of the drain) of the last device online was paced by its connects */
const PACED_BY_CONNECTS_S = 5
/** punches at the upstream at most this many seconds after their ack: the upstream did not hold the drain back */
const UPSTREAM_KEPT_UP_S = 5
/** failed connection attempts above this share of the devices: the herd wasted connects */
const WASTED_CONNECTS_SHARE = 0.05
/** idle connections' RSS above this share of the target: little room left */
const TIGHT_RSS_SHARE = 0.8

/** A figure of the section's table: its median and its value in each run. */
export interface Series { median: number, runs: number[] }

/** One row of the median run's timeline: the gateway's CPU as a share of one core over the interval before it. */
export interface TimelineRow { t: number, online: number, acked: number, delivered: number, cpuShare: number }

export interface DrainAnalysis {
  /** punches in all */
  total: number
  runs: number
  table: {
    rawS: Series
    idleOnlineS: Series
    storedAckedS: Series
    deliveredS: Series
    drainOnlineS: Series
    drainAckedS: Series
    drainPeakRss: Series
    storedPeakRss: Series
    idlePeakRss: Series
    /** the gateway's RSS before the idle run's first connect */
    idleStartRss: number
  }
  ratios: { toRaw: number, toStored: number, toTargetSeconds: number, toTargetRss: number, secondsMet: boolean, rssMet: boolean }
  /** the run whose drain time is the median */
  medianRun: {
    deliveredS: number
    ackedS: number
    /** the timeline every `step` seconds, and its last sample */
    step: number
    timeline: TimelineRow[]
    requests: number
    /** requests at `forwardBatch` punches */
    fullRequests: number
    forwardBatch: number
    /** requests before every punch was acked and after, with their rates */
    phases: { before: number, after: number, rateBefore: number, rateAfter: number }
    /** the largest gap, seconds, between punches acked and the same number at the upstream */
    forwardLagS: number
  }
  connects: {
    /** the devices' CONNACK wait, seconds */
    connackTimeoutS: number
    drainAttempts: number
    storedAttempts: number
    drainFailed: number
    idleFailed: number
    connackP50: number
    connackP99: number
    /** gateway CPU seconds per connection attempt, from the idle run (bounded connects, none failing) */
    cpuPerConnect: number
    /** the same in ms, as the median of each run's ms */
    idleMsPerConnect: number
  }
  cpu: {
    /** the gateway's CPU seconds in the drain */
    gateway: number
    commits: number
    rowsPerCommit: number
    storedCommits: number
    storedRowsPerCommit: number
    /** upstream requests */
    requests: number
    /** gateway CPU seconds left for the punches once the attempts are counted at the idle run's cost */
    drainPunches: number
    storedPunches: number
    /** that CPU with one attempt per device: the least CPU the drain takes on one core */
    floor: number
    bench: number
    sink: number
  }
  ackedTwice: number
  copies: number
  verdicts: {
    /** the drain ended soon after the last device came online: connects set the pace */
    pacedByConnects: boolean
    /** many attempts got no CONNACK: the gateway spent turns on connections already given up */
    wastedConnects: boolean
    /** punches reached the upstream soon after their ack */
    upstreamKeptUp: boolean
    /** the CPU floor alone is over the target */
    floorOverTarget: boolean
    /** the idle connections alone take most of the RSS target */
    rssTight: boolean
  }
}

/** The analysis of a drain that has runs; undefined when it was skipped or no run finished. */
export function analyseDrain (figures: DrainFigures): DrainAnalysis | undefined {
  const outcome = figures.outcome
  if ('skipped' in outcome || outcome.runs.length === 0) return undefined
  const runs = outcome.runs
  const { shape, setting } = figures
  const total = shape.devices * shape.punches
  const values = (pick: (r: DrainRun) => number | null): number[] => runs.map(r => pick(r) ?? NaN)
  const m = (pick: (r: DrainRun) => number | null): number => median(values(pick))
  const series = (pick: (r: DrainRun) => number | null): Series => ({ median: m(pick), runs: values(pick) })
  const failedAttempts = (r: FleetRun): number => r.attempts - r.connacks
  const delivered = m(r => r.drain.deliveredS)
  const storedS = m(r => r.stored.ackedS)
  const rawS = m(r => r.rawS)
  const peak = m(r => r.drain.peakRss)
  const idlePeak = m(r => r.idle.peakRss)
  const drainOnline = m(r => r.drain.onlineS)
  const d = medianRun(runs).drain
  const dAckedS = d.ackedS ?? NaN
  const dDeliveredS = d.deliveredS ?? NaN
  const forwardBatch = shape.forwardBatch ?? setting.forward.batchSize
  const cpuPerConnect = m(r => r.idle.gatewayCpu / r.idle.attempts)
  const punchCpu = (pick: (r: DrainRun) => FleetRun): number => m(r => pick(r).gatewayCpu - pick(r).attempts * r.idle.gatewayCpu / r.idle.attempts)
  const floor = punchCpu(r => r.drain) + cpuPerConnect * shape.devices
  const requests = m(r => r.drain.requestSizes.length)
  const step = (d.timeline[d.timeline.length - 1]?.t ?? 0) > 120 ? 20 : 10
  const forwardLagS = forwardLag(d)
  const drainFailed = m(r => failedAttempts(r.drain))
  return {
    total,
    runs: runs.length,
    table: {
      rawS: series(r => r.rawS),
      idleOnlineS: series(r => r.idle.onlineS),
      storedAckedS: series(r => r.stored.ackedS),
      deliveredS: series(r => r.drain.deliveredS),
      drainOnlineS: series(r => r.drain.onlineS),
      drainAckedS: series(r => r.drain.ackedS),
      drainPeakRss: series(r => r.drain.peakRss),
      storedPeakRss: series(r => r.stored.peakRss),
      idlePeakRss: series(r => r.idle.peakRss),
      idleStartRss: m(r => r.idle.startRss)
    },
    ratios: {
      toRaw: delivered / rawS,
      toStored: delivered / storedS,
      toTargetSeconds: delivered / TARGET_SECONDS,
      toTargetRss: peak / MB / TARGET_RSS_MB,
      secondsMet: delivered <= TARGET_SECONDS,
      rssMet: peak / MB < TARGET_RSS_MB
    },
    medianRun: {
      deliveredS: dDeliveredS,
      ackedS: dAckedS,
      step,
      timeline: timelineRows(d, total, step),
      requests: d.requestSizes.length,
      fullRequests: d.requestSizes.filter(n => n === forwardBatch).length,
      forwardBatch,
      phases: requestPhases(d),
      forwardLagS
    },
    connects: {
      connackTimeoutS: (shape.connackTimeoutMs ?? setting.uplinkConnackTimeoutMs) / 1000,
      drainAttempts: m(r => r.drain.attempts),
      storedAttempts: m(r => r.stored.attempts),
      drainFailed,
      idleFailed: m(r => failedAttempts(r.idle)),
      connackP50: m(r => r.drain.connack.p50),
      connackP99: m(r => r.drain.connack.p99),
      cpuPerConnect,
      idleMsPerConnect: m(r => r.idle.gatewayCpu * 1000 / r.idle.attempts)
    },
    cpu: {
      gateway: m(r => r.drain.gatewayCpu),
      commits: m(r => r.drain.commits),
      rowsPerCommit: m(r => r.drain.rowsPerCommit),
      storedCommits: m(r => r.stored.commits),
      storedRowsPerCommit: m(r => r.stored.rowsPerCommit),
      requests,
      drainPunches: punchCpu(r => r.drain),
      storedPunches: punchCpu(r => r.stored),
      floor,
      bench: m(r => r.drain.benchCpu),
      sink: m(r => r.drain.sinkCpu)
    },
    ackedTwice: m(r => r.drain.ackedTwice),
    copies: m(r => r.drain.copies),
    verdicts: {
      pacedByConnects: delivered - drainOnline <= Math.max(PACED_BY_CONNECTS_S, 0.1 * delivered),
      wastedConnects: drainFailed > WASTED_CONNECTS_SHARE * shape.devices,
      upstreamKeptUp: forwardLagS <= UPSTREAM_KEPT_UP_S,
      floorOverTarget: floor > TARGET_SECONDS,
      rssTight: idlePeak / MB >= TARGET_RSS_MB * TIGHT_RSS_SHARE
    }
  }
}

/** The run whose drain time is the median: its timeline and its request mix speak for the figure. */
function medianRun (runs: DrainRun[]): DrainRun {
  const sorted = [...runs].sort((a, b) => (a.drain.deliveredS ?? NaN) - (b.drain.deliveredS ?? NaN))
  return sorted[Math.floor(sorted.length / 2)]
}

/** Requests and their rate before the last ack reached the devices and after it. */
function requestPhases (r: FleetRun): { before: number, after: number, rateBefore: number, rateAfter: number } {
  const ackedS = r.ackedS ?? NaN
  const deliveredS = r.deliveredS ?? NaN
  const before = r.requestTimes.filter(t => t <= ackedS).length
  const after = r.requestTimes.length - before
  return {
    before,
    after,
    rateBefore: before / (Math.min(ackedS, deliveredS) - (r.requestTimes[0] ?? NaN)),
    rateAfter: after / (deliveredS - ackedS)
  }
}

/** The timeline at every `step` seconds (the first sample at or past each mark) and its last sample. */
function timelineRows (r: FleetRun, total: number, step: number): TimelineRow[] {
  const rows: TimelineRow[] = []
  let prev: DrainSample = { t: 0, online: 0, acked: 0, delivered: 0, gatewayCpu: 0 }
  let mark = step
  const row = (x: DrainSample): void => {
    rows.push({ t: x.t, online: x.online, acked: Math.min(x.acked, total), delivered: x.delivered, cpuShare: (x.gatewayCpu - prev.gatewayCpu) / (x.t - prev.t) })
    prev = x
  }
  for (const x of r.timeline) {
    if (x.t + 0.5 < mark) continue
    row(x)
    while (mark <= x.t + 0.5) mark += step
  }
  const last = r.timeline[r.timeline.length - 1]
  if (last !== undefined && last !== prev) row(last)
  return rows
}

/** The largest gap between punches acked and punches at the upstream over the timeline, in seconds of drain. */
function forwardLag (r: FleetRun): number {
  let lag = 0
  for (const x of r.timeline) {
    const at = r.timeline.find(y => y.delivered >= x.acked)
    if (at !== undefined) lag = Math.max(lag, at.t - x.t)
  }
  return lag
}
