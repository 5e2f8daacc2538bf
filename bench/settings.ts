/**
 * What `npm run bench` is asked to do, read from its environment (docs/BENCHMARKS.md lists every
 * variable): how many runs, each section's size, which sections, and whether to measure at all.
 */
import { fileURLToPath } from 'node:url'
import type { ClusterShape } from './cluster-figures.js'
import type { DrainShape } from './drain-figures.js'
import { cpuProfileArgs } from './gateway-child.js'
import type { IngestShapes } from './ingest-shapes-figures.js'
import type { LatencyShape } from './latency.js'
import type { LoadShape } from './load-run.js'

/** The sections BENCH_ONLY names; each is one measurement and one figures file in docs/bench/. */
export const SECTIONS = ['ingest', 'mosquitto', 'latency', 'ring', 'drain', 'shapes', 'cluster'] as const
export type Section = typeof SECTIONS[number]

export interface BenchSettings {
  runs: number
  load: LoadShape
  latency: LatencyShape
  ringAppends: number
  drainRuns: number
  drain: DrainShape
  /** issue 15's shapes: a fleet waiting for each ack, online terminals sending one punch a message */
  shapes: IngestShapes
  /** issue 17's cluster section: 1, 2 and 3 cluster nodes on Mosquitto and PostgreSQL */
  cluster: ClusterShape
  /** BENCH_COMMIT_THREAD: the gateway's ingest.commitThread in the shapes section (0 for a before/after) */
  commitThread: boolean
  /** BENCH_ONLY: these sections, printed instead of written to docs/BENCHMARKS.md; undefined: all, written */
  only?: Section[]
  /** BENCH_RENDER_ONLY: the tables rendered from the saved figures, nothing measured */
  renderOnly: boolean
  /** BENCH_FIGURES_DIR: where the figures are saved and read back (docs/bench/ by default) */
  figuresDir: string
  /** whether a run saves its figures: a full run always, a BENCH_ONLY run when BENCH_FIGURES_DIR is set */
  saveFigures: boolean
}

type Env = Record<string, string | undefined>

const given = (env: Env, name: string): string | undefined => env[name] === undefined || env[name] === '' ? undefined : env[name]

function positive (env: Env, name: string): number | undefined {
  const v = given(env, name)
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}: must be a positive number, got '${v}'`)
  return n
}

/** BENCH_LATENCY_LINGER_MS: 0 is a linger too (every commit forwarded at once) */
function lingerMs (env: Env): number | undefined {
  const v = given(env, 'BENCH_LATENCY_LINGER_MS')
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new Error(`BENCH_LATENCY_LINGER_MS: must be a whole number of ms, 0 or more, got '${v}'`)
  return n
}

/** BENCH_COMMIT_THREAD: 1 (the default) or 0, the gateway with its commits in the event loop */
function commitThread (env: Env): boolean {
  const v = given(env, 'BENCH_COMMIT_THREAD')
  if (v !== undefined && v !== '0' && v !== '1') throw new Error(`BENCH_COMMIT_THREAD: 0 or 1, got '${v}'`)
  return v !== '0'
}

/** docs/ of the repository, whether the bench runs compiled (dist/bench/) or from source (bench/) */
export function docsDir (): string {
  const here = fileURLToPath(import.meta.url)
  return fileURLToPath(new URL(here.endsWith('.ts') ? '../docs/' : '../../docs/', import.meta.url))
}

export function readBenchSettings (env: Env): BenchSettings {
  const num = (name: string, fallback: number): number => positive(env, name) ?? fallback
  const only = given(env, 'BENCH_ONLY')?.split(',').map(s => s.trim())
  const unknown = only?.filter(s => !(SECTIONS as readonly string[]).includes(s)) ?? []
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: no section ${unknown.join(', ')}; sections are ${SECTIONS.join(', ')}`)
  const renderOnly = given(env, 'BENCH_RENDER_ONLY')
  if (renderOnly !== undefined && renderOnly !== '1') throw new Error(`BENCH_RENDER_ONLY: 1 or unset, got '${renderOnly}'`)
  const profile = given(env, 'BENCH_DRAIN_PROFILE')
  const figuresDir = given(env, 'BENCH_FIGURES_DIR')
  return {
    runs: num('BENCH_RUNS', 5),
    load: { devices: num('BENCH_DEVICES', 50), batches: num('BENCH_BATCHES', 100), batchSize: 100, window: num('BENCH_WINDOW', 4) },
    latency: {
      devices: num('BENCH_LATENCY_DEVICES', 20),
      intervalMs: num('BENCH_LATENCY_INTERVAL_MS', 1000),
      seconds: num('BENCH_LATENCY_SECONDS', 12),
      lingerMs: lingerMs(env)
    },
    ringAppends: num('BENCH_RING_APPENDS', 2000),
    drainRuns: num('BENCH_DRAIN_RUNS', 1),
    drain: {
      devices: num('BENCH_DRAIN_DEVICES', 10_000),
      punches: num('BENCH_DRAIN_PUNCHES', 300),
      windowMs: num('BENCH_DRAIN_WINDOW_MS', 10_000),
      maxConnecting: positive(env, 'BENCH_DRAIN_MAX_CONNECTING'),
      connackTimeoutMs: positive(env, 'BENCH_DRAIN_CONNACK_TIMEOUT_MS'),
      forwardBatch: positive(env, 'BENCH_DRAIN_FORWARD_BATCH'),
      gatewayMqtt: jsonObject(env, 'BENCH_DRAIN_GATEWAY_MQTT'),
      gatewayForward: jsonObject(env, 'BENCH_DRAIN_GATEWAY_FORWARD'),
      timeoutS: 900,
      gatewayNodeArgs: cpuProfileArgs(profile),
      gatewayFlags: given(env, 'BENCH_DRAIN_GATEWAY_FLAGS')?.split(/\s+/).filter(f => f !== '')
    },
    shapes: {
      window1: { devices: num('BENCH_SHAPES_DEVICES', 50), batches: num('BENCH_SHAPES_BATCHES', 40), batchSize: 100, window: 1 },
      single: { devices: num('BENCH_SHAPES_SINGLE_DEVICES', 200), batches: num('BENCH_SHAPES_SINGLE_PUNCHES', 50), batchSize: 1, window: 1 },
      rawSingleRows: num('BENCH_SHAPES_RAW_SINGLE', 2000),
      profileDir: given(env, 'BENCH_SHAPES_PROFILE')
    },
    cluster: {
      ingest: { devices: num('BENCH_CLUSTER_DEVICES', 200), batches: num('BENCH_CLUSTER_BATCHES', 10), batchSize: 100, window: 1 },
      drainPunches: num('BENCH_CLUSTER_DRAIN_PUNCHES', 150_000),
      drainPerDevice: 300,
      nodes: [1, 2, 3],
      rawBatches: [100, 1000]
    },
    commitThread: commitThread(env),
    only: only as Section[] | undefined,
    renderOnly: renderOnly !== undefined,
    figuresDir: figuresDir ?? `${docsDir()}bench`,
    saveFigures: only === undefined || figuresDir !== undefined
  }
}

/** An environment variable holding a JSON object, or undefined when unset. */
function jsonObject (env: Env, name: string): Record<string, unknown> | undefined {
  const v = given(env, name)
  if (v === undefined) return undefined
  let parsed: unknown
  try { parsed = JSON.parse(v) } catch { throw new Error(`${name}: must be a JSON object, got '${v}'`) }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${name}: must be a JSON object, got '${v}'`)
  return parsed as Record<string, unknown>
}
