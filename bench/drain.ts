/**
 * The post-outage drain (issue 6): N devices, each holding P punches in its ring, reconnect at once to the
 * gateway child process, which stores them and forwards them to an upstream HTTP sink in a third process
 * (sink-child.ts). Timed from the first connect until the sink has every punch; beside it, in the same
 * run, the same rows as raw better-sqlite3 batched inserts and the same fleet against a gateway with no
 * upstream (stored and acked only), so the figure has its ratios; and the same devices with empty rings,
 * connecting at a bounded pace, for the gateway's memory and connect cost with nothing else to do. What the
 * gateway's RSS and CPU, its commits, the forwarder's requests and the devices' connection attempts were
 * goes in the section, to say what limits the figure.
 *
 * The devices are the light fleet of fleet-scale.ts (lite-fleet.ts: the device's real Uplink with its
 * defaults over the lite MQTT client, memory rings), all in the bench process; connections need an open
 * files limit of about N + 200 in each process (the section is skipped with the reason otherwise).
 */
import { existsSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import Database from 'better-sqlite3'
import { createMemoryRing, type Ring } from '../device/ring/index.js'
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../device/uplink.js'
import { defaultConfig } from '../gateway/config.js'
import type { Punch } from '../shared/punch.js'
import { cpuSeconds, procMemory, removeTempDir, spawnTracked, stopChild, tempDir, waitForLine } from './children.js'
import { benchScript } from './paths.js'
import { startGateway, type BenchGateway } from './gateway-child.js'
import { LARGE_TXN } from './ingest.js'
import { fileLimitProblem, LiteFleet, punchesFor } from './lite-fleet.js'
import { rawInsertSeconds, type RawRow } from './raw-sqlite.js'
import { fixed, fmt, median, percentile } from './stats.js'

/** issue 6 targets for the drain */
export const TARGET_SECONDS = 60
export const TARGET_RSS_MB = 300
const MB = 1024 * 1024

export interface DrainShape {
  devices: number
  /** punches in each device's ring */
  punches: number
  /** the devices' first connects are spread over this window (the reconnect backoff's jitter) */
  windowMs: number
  /** at most this many devices connecting at once; undefined: no bound (every device at its time) */
  maxConnecting?: number
  /** how long a device waits for its CONNACK; undefined leaves the uplink's own (10 s) */
  connackTimeoutMs?: number
  /** the gateway's forward.batchSize; undefined leaves its default */
  forwardBatch?: number
  /** a run that has not finished by then fails */
  timeoutS: number
  /** node flags for the gateway child of the first run's drain (--cpu-prof ...) */
  gatewayNodeArgs?: string[]
}

/** One timeline sample, seconds from the first connect. */
export interface DrainSample { t: number, online: number, acked: number, delivered: number, gatewayCpu: number }

export interface FleetRun {
  /** every device online, every ring empty (all acked), every punch at the sink (with an upstream): seconds from the first connect; NaN where it does not apply */
  onlineS: number
  ackedS: number
  deliveredS: number
  /** the gateway's VmHWM, bytes */
  peakRss: number
  /** CPU seconds of the gateway from the first connect until all were acked (idle: online), and until the end */
  gatewayCpuToAcked: number
  gatewayCpu: number
  benchCpu: number
  sinkCpu: number
  commits: number
  rowsPerCommit: number
  /** punches acked more than once (a batch sent again after an ack timeout or a reconnect) */
  ackedTwice: number
  /** connection attempts (first ones and retries), and "N connection attempts, errors: ..." */
  attempts: number
  attemptsText: string
  /** attempts that got their CONNACK */
  connacks: number
  /** the gateway's RSS once it was ready, before the first connect (bytes) */
  startRss: number
  /** seconds from opening a connection to its CONNACK, over the attempts that got one: p50, p99, max */
  connack: { p50: number, p99: number, max: number }
  /** upstream requests: arrival times (s from the first connect) and punch counts */
  requestTimes: number[]
  requestSizes: number[]
  /** punches the sink got more than once */
  copies: number
  timeline: DrainSample[]
}

export interface DrainRun {
  /** raw better-sqlite3: seconds for the same rows in transactions of LARGE_TXN */
  rawS: number
  idle: FleetRun
  stored: FleetRun
  drain: FleetRun
}

export type DrainFigures = { skipped: string } | { runs: DrainRun[], failed?: string }

export function drainSkipReason (shape: DrainShape): string | undefined {
  return fileLimitProblem(shape.devices)
}

interface SinkDone { at: number, distinct: number, copies: number, unreadable: number, times: number[], sizes: number[] }

/** The upstream in its own process; `done` resolves once it has every expected punch. */
async function startSink (expected: number): Promise<{ url: string, pid: number | undefined, delivered: () => number, done: Promise<SinkDone>, stop: () => Promise<void> }> {
  const child = spawnTracked(process.execPath, [benchScript('sink-child.js'), String(expected)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await waitForLine(child, 'upstream sink', 20_000, line => (JSON.parse(line) as { url?: string }).url)
  let delivered = 0
  const done = new Promise<SinkDone>((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as { progress?: boolean, done?: boolean, distinct: number } & SinkDone
      delivered = Math.max(delivered, m.distinct ?? 0)
      if (m.done === true) resolve(m)
    })
  })
  return { url, pid: child.pid, delivered: () => delivered, done, stop: async () => await stopChild(child) }
}

function filledRings (devices: number, punches: number, now: number): Ring[] {
  const rings: Ring[] = []
  for (let d = 0; d < devices; d++) {
    // A terminal's capacity; a memory ring's index grows as it is used, so 300 punches take 300 slots' worth.
    const ring = createMemoryRing({ capacity: 100_000 })
    if (punches > 0) ring.appendMany(punchesFor(d, punches, now))
    rings.push(ring)
  }
  return rings
}

/** Rejects if the gateway exits, or after `timeoutS`, with what the fleet had done by then. */
function guard (gw: BenchGateway, fleet: LiteFleet, shape: DrainShape, what: () => string): { failed: Promise<never>, clear: () => void } {
  let timer: NodeJS.Timeout | undefined
  let onExit: ((code: number | null, signal: string | null) => void) | undefined
  const failed = new Promise<never>((_resolve, reject) => {
    const state = (): string => `${fmt(fleet.online)}/${fmt(fleet.size)} online, ${fmt(fleet.drained)} rings drained, ${what()}`
    onExit = (code, signal) => reject(new Error(`the gateway exited (${String(code ?? signal)}) with ${state()}`))
    gw.child.once('exit', onExit)
    timer = setTimeout(() => reject(new Error(`not done after ${shape.timeoutS} s: ${state()}`)), shape.timeoutS * 1000)
  })
  failed.catch(() => {})
  return { failed, clear: () => { clearTimeout(timer); if (onExit !== undefined) gw.child.off('exit', onExit) } }
}

/**
 * What a fleet run is: 'idle', every device connects with an empty ring, at most IDLE_CONNECTING at once (the
 * gateway's memory for its connections alone, and its connect rate with nothing else to do); 'stored', the
 * drain against a gateway with no upstream; 'drain', the drain to the upstream sink.
 */
type FleetRunKind = 'idle' | 'stored' | 'drain'

/** devices connecting at once in the 'idle' run: no CONNACK waits long enough to time out */
const IDLE_CONNECTING = 200

/** One fleet run against a fresh gateway (and, for 'drain', a fresh sink). */
async function fleetRun (shape: DrainShape, kind: FleetRunKind, nodeArgs: string[] | undefined, log: (line: string) => void): Promise<FleetRun> {
  const punches = kind === 'idle' ? 0 : shape.punches
  const total = shape.devices * punches
  const dir = tempDir('punchline-bench-drain-')
  const sink = kind === 'drain' ? await startSink(total) : undefined
  let config: string | undefined
  if (shape.forwardBatch !== undefined) {
    config = join(dir, 'gateway.json')
    writeFileSync(config, JSON.stringify({ forward: { batchSize: shape.forwardBatch } }))
  }
  let gw: BenchGateway | undefined
  let fleet: LiteFleet | undefined
  try {
    gw = await startGateway({ dataDir: join(dir, 'gateway'), upstream: sink?.url, config, nodeArgs })
    const pid = gw.child.pid
    const startRss = procMemory(pid).rss
    fleet = new LiteFleet({ url: gw.url, rings: filledRings(shape.devices, punches, Date.now()), idPrefix: 'DRAIN-', uplink: { fw: 'bench' }, connackTimeoutMs: shape.connackTimeoutMs })
    const f = fleet
    const timeline: DrainSample[] = []
    const gwCpu0 = cpuSeconds(pid)
    const sinkCpu0 = cpuSeconds(sink?.pid)
    const benchCpu0 = process.cpuUsage()
    const sample = (): void => {
      timeline.push({ t: (performance.now() - f.startedAt) / 1000, online: f.online, acked: f.acked, delivered: sink?.delivered() ?? 0, gatewayCpu: cpuSeconds(pid) - gwCpu0 })
    }
    if (kind === 'idle') f.start(0, IDLE_CONNECTING)
    else f.start(shape.windowMs, shape.maxConnecting)
    const sampler = setInterval(sample, 1000)
    const watch = guard(gw, f, shape, () => `${fmt(f.acked)} punches acked${sink === undefined ? '' : `, ${fmt(sink.delivered())} at the upstream`}`)
    let gatewayCpuToAcked = NaN
    let sinkDone: SinkDone | undefined
    try {
      await Promise.race([Promise.all([
        (kind === 'idle' ? f.allOnline : f.allDrained).then(() => { gatewayCpuToAcked = cpuSeconds(pid) - gwCpu0 }),
        sink?.done.then(d => { sinkDone = d })
      ]), watch.failed])
    } finally {
      watch.clear()
      clearInterval(sampler)
    }
    sample()
    const gatewayCpu = cpuSeconds(pid) - gwCpu0
    const sinkCpu = cpuSeconds(sink?.pid) - sinkCpu0
    const bench = process.cpuUsage(benchCpu0)
    const peakRss = procMemory(pid).peak
    const value = await gw.metrics()
    const t0Wall = performance.timeOrigin + f.startedAt
    const commits = value('punchline_commit_rows_count')
    const run: FleetRun = {
      onlineS: (f.allOnlineAt - f.startedAt) / 1000,
      ackedS: kind === 'idle' ? NaN : (f.allDrainedAt - f.startedAt) / 1000,
      deliveredS: sinkDone === undefined ? NaN : (sinkDone.at - t0Wall) / 1000,
      peakRss,
      gatewayCpuToAcked,
      gatewayCpu,
      benchCpu: (bench.user + bench.system) / 1e6,
      sinkCpu,
      commits,
      rowsPerCommit: value('punchline_commit_rows_sum') / commits,
      ackedTwice: f.acked - total,
      attempts: f.attempts,
      attemptsText: f.attemptsText(),
      connacks: f.connackMs.length,
      startRss,
      connack: quantiles(f.connackMs),
      requestTimes: sinkDone?.times.map(t => (t - t0Wall) / 1000) ?? [],
      requestSizes: sinkDone?.sizes ?? [],
      copies: sinkDone?.copies ?? 0,
      timeline
    }
    await f.stop()
    fleet = undefined
    await gw.stop()
    gw = undefined
    if (kind !== 'idle') checkStored(join(dir, 'gateway', 'punchline.db'), shape, kind === 'drain')
    log(kind === 'idle'
      ? `${fmt(shape.devices)} devices with empty rings, ${IDLE_CONNECTING} connecting at once: online after ${fixed(run.onlineS, 1)} s; gateway peak RSS ${fmt(peakRss / MB)} MB, CPU ${fixed(gatewayCpu, 1)} s; ${run.attemptsText}`
      : `${kind === 'drain' ? 'drain to the upstream' : 'drain, no upstream'}: ${fmt(shape.devices)} online after ${fixed(run.onlineS, 1)} s, ` +
        `all ${fmt(total)} acked after ${fixed(run.ackedS, 1)} s${kind === 'drain' ? `, at the upstream after ${fixed(run.deliveredS, 1)} s (${fmt(run.requestSizes.length)} requests)` : ''}; ` +
        `gateway peak RSS ${fmt(peakRss / MB)} MB, CPU ${fixed(gatewayCpu, 1)} s; ${fmt(run.rowsPerCommit)} rows per commit; ${run.attemptsText}; CONNACK p50 ${fixed(run.connack.p50, 2)} s, p99 ${fixed(run.connack.p99, 2)} s`)
    return run
  } finally {
    await fleet?.stop()
    await gw?.stop()
    await sink?.stop()
    removeTempDir(dir)
  }
}

/** Seconds, from ms samples: p50, p99, max. */
function quantiles (ms: number[]): { p50: number, p99: number, max: number } {
  return { p50: percentile(ms, 50) / 1000, p99: percentile(ms, 99) / 1000, max: ms.reduce((a, b) => Math.max(a, b), -Infinity) / 1000 }
}

/** Every punch stored once (and, with an upstream, nothing left in the outbox), or the run fails. */
function checkStored (file: string, shape: DrainShape, withUpstream: boolean): void {
  const db = new Database(file, { readonly: true })
  try {
    const rows = db.prepare('SELECT count(*) AS n, count(DISTINCT device) AS devices FROM punches').get() as { n: number, devices: number }
    const total = shape.devices * shape.punches
    if (rows.n !== total || rows.devices !== shape.devices) throw new Error(`the gateway stored ${rows.n} punches of ${rows.devices} devices, not ${total} of ${shape.devices}`)
    if (!withUpstream) return
    const batches = (db.prepare('SELECT count(*) AS n FROM forward_batches').get() as { n: number }).n
    const past = (db.prepare("SELECT count(*) AS n FROM punches WHERE id > (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'forward_cursor')").get() as { n: number }).n
    if (batches !== 0 || past !== 0) throw new Error(`the outbox still holds ${batches} batches and ${past} punches past its cursor after the upstream had every punch`)
  } finally {
    db.close()
  }
}

/** The same rows as raw better-sqlite3 inserts, LARGE_TXN rows per transaction: seconds. */
function rawSeconds (shape: DrainShape): number {
  const now = Date.now()
  let device = -1
  let punches: Punch[] = []
  const rowAt = (i: number): RawRow => {
    const d = Math.floor(i / shape.punches)
    if (d !== device) {
      device = d
      punches = punchesFor(d, shape.punches, now).map((p, k) => ({ ...p, seq: k + 1 }))
    }
    return { device: `DRAIN-${d}`, punch: punches[i % shape.punches] }
  }
  return rawInsertSeconds(shape.devices * shape.punches, rowAt, LARGE_TXN)
}

export async function drainRun (shape: DrainShape, first: boolean, log: (line: string) => void): Promise<DrainRun> {
  const total = shape.devices * shape.punches
  const rawS = rawSeconds(shape)
  log(`raw better-sqlite3, ${fmt(total)} rows in transactions of ${LARGE_TXN}: ${fixed(rawS, 1)} s (${fmt(total / rawS)} rows/s)`)
  const idle = await fleetRun(shape, 'idle', undefined, log)
  const stored = await fleetRun(shape, 'stored', undefined, log)
  const drain = await fleetRun(shape, 'drain', first ? shape.gatewayNodeArgs : undefined, log)
  return { rawS, idle, stored, drain }
}

/** connections waiting when the accept check unblocks its loop */
const WAITING = 100

/**
 * How many connections waiting to be accepted one turn of this Node's event loop takes: a server here, WAITING
 * connections opened by a child process while this process's loop is blocked, then the connections accepted
 * by the next turn's poll phase. A gateway takes its devices' connections the same way, so this is how many
 * devices it can admit per turn of its loop however long the turn (a group commit, an fsync, thousands of
 * publishes).
 */
export async function acceptsPerTurn (): Promise<{ firstTurn: number, waiting: number }> {
  const dir = tempDir('punchline-bench-accept-')
  const ready = join(dir, 'ready')
  let accepted = 0
  const sockets: Socket[] = []
  const server = createServer(socket => { accepted++; sockets.push(socket); socket.on('error', () => {}) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as AddressInfo).port
  const script = `const net = require('node:net'); const fs = require('node:fs'); let n = 0;
    for (let i = 0; i < ${WAITING}; i++) net.connect(${port}, '127.0.0.1', () => { if (++n === ${WAITING}) fs.writeFileSync(${JSON.stringify(ready)}, '') }).on('error', () => {})
    setTimeout(() => {}, 30000)`
  const child = spawnTracked(process.execPath, ['-e', script], { stdio: 'ignore' })
  try {
    // Blocked, as a busy gateway is, until every connection is made and waits in the kernel's accept queue.
    const deadline = Date.now() + 20_000
    while (!existsSync(ready)) if (Date.now() > deadline) throw new Error('accept check: the client connections were not made within 20 s')
    // This turn has had its poll phase already; the next one's is the first to see the waiting connections.
    const before = await new Promise<number>(resolve => setImmediate(() => resolve(accepted)))
    const firstTurn = await new Promise<number>(resolve => setImmediate(() => resolve(accepted - before)))
    for (let waited = 0; accepted < WAITING && waited < 5000; waited += 10) await new Promise(resolve => setTimeout(resolve, 10))
    return { firstTurn, waiting: WAITING }
  } finally {
    await stopChild(child)
    for (const socket of sockets) socket.destroy()
    await new Promise<void>(resolve => server.close(() => resolve()))
    removeTempDir(dir)
  }
}

/** Requests and their rate before the last ack reached the devices and after it. */
function requestPhases (r: FleetRun): { before: number, after: number, rateBefore: number, rateAfter: number } {
  const before = r.requestTimes.filter(t => t <= r.ackedS).length
  const after = r.requestTimes.length - before
  return {
    before,
    after,
    rateBefore: before / (Math.min(r.ackedS, r.deliveredS) - (r.requestTimes[0] ?? NaN)),
    rateAfter: after / (r.deliveredS - r.ackedS)
  }
}

/** The run whose drain time is the median: its timeline and its request mix speak for the figure. */
function medianRun (runs: DrainRun[]): DrainRun {
  const sorted = [...runs].sort((a, b) => a.drain.deliveredS - b.drain.deliveredS)
  return sorted[Math.floor(sorted.length / 2)]
}

/** The timeline at every `step` seconds (the first sample at or past each mark) and its last sample. */
function timelineRows (r: FleetRun, total: number, step: number): string {
  const rows: string[] = []
  let prev: DrainSample = { t: 0, online: 0, acked: 0, delivered: 0, gatewayCpu: 0 }
  let mark = step
  const line = (x: DrainSample): void => {
    const share = (x.gatewayCpu - prev.gatewayCpu) / (x.t - prev.t)
    rows.push(`| ${fixed(x.t, 0)} s | ${fmt(x.online)} | ${fmt(Math.min(x.acked, total))} | ${fmt(x.delivered)} | ${Math.round(100 * share)} % |`)
    prev = x
  }
  for (const x of r.timeline) {
    if (x.t + 0.5 < mark) continue
    line(x)
    while (mark <= x.t + 0.5) mark += step
  }
  const last = r.timeline[r.timeline.length - 1]
  if (last !== undefined && last !== prev) line(last)
  return rows.join('\n')
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

export function drainSection (figures: DrainFigures, shape: DrainShape, accept: { firstTurn: number, waiting: number } | undefined): string {
  const total = shape.devices * shape.punches
  const head = `
## Post-outage drain: ${fmt(shape.devices)} devices × ${fmt(shape.punches)} punches reconnect at once

`
  if ('skipped' in figures) return head + `Skipped: ${figures.skipped}\n`
  const runs = figures.runs
  const failed = figures.failed === undefined ? '' : `\n**A run failed**: ${figures.failed}\n`
  if (runs.length === 0) return head + failed
  const m = (pick: (r: DrainRun) => number): number => median(runs.map(pick))
  const list = (pick: (r: DrainRun) => number, digits = 1): string => runs.map(r => fixed(pick(r), digits)).join(', ')
  const mbList = (pick: (r: DrainRun) => number): string => runs.map(r => fmt(pick(r) / MB)).join(', ')
  const s = (n: number): string => `${fixed(n, 1)} s`
  const mb = (n: number): string => `${fmt(n / MB)} MB`
  const pct = (n: number): string => `${Math.round(100 * n)} %`
  const us = (cpu: number, n: number): string => `${fixed(cpu * 1e6 / n, 1)} µs`
  const delivered = m(r => r.drain.deliveredS)
  const storedS = m(r => r.stored.ackedS)
  const rawS = m(r => r.rawS)
  const peak = m(r => r.drain.peakRss)
  const idlePeak = m(r => r.idle.peakRss)
  const startRss = m(r => r.idle.startRss)
  const forwardBatch = shape.forwardBatch ?? defaultConfig().forward.batchSize
  const mr = medianRun(runs)
  const d = mr.drain
  const phases = requestPhases(d)
  const sizes = d.requestSizes
  const full = sizes.filter(n => n === forwardBatch).length
  const gwCpu = m(r => r.drain.gatewayCpu)
  const failedAttempts = (r: FleetRun): number => r.attempts - r.connacks
  const step = (d.timeline[d.timeline.length - 1]?.t ?? 0) > 120 ? 20 : 10
  const connackTimeout = shape.connackTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  const fsyncs = m(r => r.drain.commits + r.drain.requestSizes.length)
  /** gateway CPU per connection attempt, from the idle run (bounded connects, none failing) */
  const connCpu = m(r => r.idle.gatewayCpu / r.idle.attempts)
  /** gateway CPU left for the punches once the connection attempts are counted at the idle run's cost */
  const punchCpu = (pick: (r: DrainRun) => FleetRun): number => m(r => pick(r).gatewayCpu - pick(r).attempts * r.idle.gatewayCpu / r.idle.attempts)
  const floor = punchCpu(r => r.drain) + connCpu * shape.devices
  return head + `| figure | median | runs |
|---|---:|---|
| raw better-sqlite3, WAL + synchronous=FULL, the same ${fmt(total)} rows in transactions of ${fmt(LARGE_TXN)} | ${s(rawS)} | ${list(r => r.rawS)} |
| the same devices with empty rings, ${IDLE_CONNECTING} connecting at once: every one online | ${s(m(r => r.idle.onlineS))} | ${list(r => r.idle.onlineS)} |
| gateway with no upstream: every punch stored and acked at its device | ${s(storedS)} | ${list(r => r.stored.ackedS)} |
| **drain: every punch at the upstream** (target ≤ ${TARGET_SECONDS} s) | **${s(delivered)}** | ${list(r => r.drain.deliveredS)} |
| in the drain runs: every device online | ${s(m(r => r.drain.onlineS))} | ${list(r => r.drain.onlineS)} |
| in the drain runs: every punch stored and acked | ${s(m(r => r.drain.ackedS))} | ${list(r => r.drain.ackedS)} |
| **gateway peak RSS** (VmHWM) in the drain (target < ${TARGET_RSS_MB} MB) | **${mb(peak)}** | ${mbList(r => r.drain.peakRss)} |
| gateway peak RSS, no upstream | ${mb(m(r => r.stored.peakRss))} | ${mbList(r => r.stored.peakRss)} |
| gateway peak RSS, ${fmt(shape.devices)} idle connections (started at ${mb(startRss)}) | ${mb(idlePeak)} | ${mbList(r => r.idle.peakRss)} |
| **ratio** drain / raw inserts of the same rows | **${fixed(delivered / rawS, 2)}** | |
| ratio drain / no upstream | ${fixed(delivered / storedS, 2)} | |
| against the targets | ${fixed(delivered / TARGET_SECONDS, 2)} of ${TARGET_SECONDS} s ${delivered <= TARGET_SECONDS ? '(met)' : '(**missed**)'}; ${fixed(peak / MB / TARGET_RSS_MB, 2)} of ${TARGET_RSS_MB} MB ${peak / MB < TARGET_RSS_MB ? '(met)' : '(**missed**)'} | |
${failed}
${runs.length === 1 ? 'One run' : `Medians of ${runs.length} runs`} (\`BENCH_DRAIN_RUNS\`; a run takes minutes); each run measures the rows above one after the other.
Three processes: the devices in the bench process, the gateway in a child (\`punchline gateway --allow-anonymous --upstream URL\`,
every setting at its default: \`forward.batchSize\` ${defaultConfig().forward.batchSize}, \`lingerMs\` ${defaultConfig().forward.lingerMs}, \`concurrency\` ${defaultConfig().forward.concurrency}${shape.forwardBatch === undefined ? '' : `; here \`forward.batchSize\` ${shape.forwardBatch}`}), and the upstream, an HTTP sink
in a child of its own (\`bench/sink-child.ts\`: \`fakes/upstream/webhook-upstream.ts\` answering 200 at once, counting every punch id
once), so that parsing ${fmt(total)} punches neither runs on the gateway's core nor waits behind ${fmt(shape.devices)} devices'
work in the bench process; on 2 cores the sink shares the bench's. Each device is the device's real uplink with its
defaults (batches of 100, 4 in flight, backoff 0.5 to 10 s, a CONNACK awaited ${connackTimeout / 1000} s${shape.connackTimeoutMs === undefined ? '' : ' (`BENCH_DRAIN_CONNACK_TIMEOUT_MS`)'}) over the light MQTT client of the
simulator (\`bench/lite-fleet.ts\`), with a memory ring holding its ${fmt(shape.punches)} punches. "At once" is what a site coming
back from an outage does: every device's next try falls at a random point within its backoff cap, so the first connects
are spread over ${fmt(shape.windowMs / 1000)} s${shape.maxConnecting === undefined ? ', with no bound on how many connect at once' : `, at most ${shape.maxConnecting} connecting at once`}. A device that gets no CONNACK in time closes and tries again
after its backoff. The drain is timed from the first connect until the sink has every punch; every run checks that the
gateway stored each punch once and that its outbox is empty. Measured by \`bench/drain.ts\`; alone:
\`BENCH_ONLY=drain npm run bench\` (prints the section instead of rewriting this file). Needs \`ulimit -n\` ${fmt(shape.devices + 200)}.

The median run (${s(d.deliveredS)}), every ${step} s: devices online, punches acked at the devices, punches at the
upstream, and the gateway's CPU over the interval (100 % = one core).

| time | online | acked | at the upstream | gateway CPU |
|---:|---:|---:|---:|---:|
${timelineRows(d, total, step)}

**What limits it.** Connections. ${fmt(shape.devices)} devices made ${fmt(m(r => r.drain.attempts))} connection attempts in the drain
(${fmt(m(r => r.stored.attempts))} with no upstream); ${fmt(m(r => failedAttempts(r.drain)))} got no CONNACK within the device's ${connackTimeout / 1000} s (median CONNACK ${s(m(r => r.drain.connack.p50))},
p99 ${s(m(r => r.drain.connack.p99))}). ${delivered - m(r => r.drain.onlineS) <= Math.max(5, 0.1 * delivered)
    ? `The drain ended ${s(delivered - m(r => r.drain.onlineS))} after the last device came online: devices came online at the pace the
gateway took their punches, and each one emptied its ring within moments of its CONNACK.`
    : `The last device was online at ${s(m(r => r.drain.onlineS))}, the last punch at the upstream at ${s(delivered)}.`} The same devices with empty rings, ${IDLE_CONNECTING} connecting at once, were all online
in ${s(m(r => r.idle.onlineS))} with ${fmt(m(r => failedAttempts(r.idle)))} failed attempts and ${fixed(m(r => r.idle.gatewayCpu * 1000 / r.idle.attempts), 1)} ms of gateway CPU per connection.
The gateway takes connections one per turn of its event loop${accept === undefined ? '' : ` (measured here: with ${accept.waiting} connections waiting, a turn of
this Node's loop accepted ${accept.firstTurn})`}: libuv ${process.versions.uv}, Node's I/O layer, accepts one connection each time the
listening socket is reported ready, and a busy loop polls once per turn. Under the drain a turn is long: it reads the publishes of every connected device,
then commits them (one group commit, one fsync) and forwards. Connections wait in the kernel's accept queue (511, Node's
default backlog) and past it in SYN retransmits.${m(r => failedAttempts(r.drain)) > 0.05 * shape.devices
    ? ` Those waiting past the device's CONNACK timeout are given up by the device, yet the gateway still accepts
them later and spends a turn's slot and the work of a connect on each, which pushes the live ones further back: a herd
admitted at a fraction of the gateway's own connect rate (\`BENCH_DRAIN_CONNACK_TIMEOUT_MS\` runs it with devices that wait longer).`
    : ''} What would admit a herd faster is a shorter turn: the commits and the forwarder's reads on a thread of
their own (better-sqlite3 is synchronous, so today each commit's fsync holds the loop), or several listening sockets
sharing the port (SO_REUSEPORT, \`reusePort\` from Node 22.12), each accepting once per turn. Neither is done yet.

CPU and the disk. The gateway used ${s(gwCpu)} of CPU in the drain, and was on a core ${pct(gwCpu / delivered)} of the time; the rest of the
time its one thread was blocked in fsyncs or waiting for a core (on a shared machine: see the load average above): ${fmt(m(r => r.drain.commits))} group commits (${fmt(m(r => r.drain.rowsPerCommit))} rows each on average; with no upstream
${fmt(m(r => r.stored.commits))} of ${fmt(m(r => r.stored.rowsPerCommit))}) and one synced transaction per upstream request (forming the batch; deleting it once delivered skips the fsync and rides on the next synced commit),
about ${fmt(fsyncs)} fsyncs in all${fsyncs > 0 ? `, ${pct(m(r => r.drain.requestSizes.length / (r.drain.commits + r.drain.requestSizes.length)))} of them the forwarder's` : ''}. At the idle run's ${fixed(connCpu * 1000, 2)} ms per connection, the
${fmt(m(r => r.drain.attempts))} attempts account for about ${s(connCpu * m(r => r.drain.attempts))} of the CPU; what is left, ${us(punchCpu(r => r.drain), total)} per punch, is the work
on the punches: ${us(punchCpu(r => r.stored), total)} to decode, flag, store and ack (the no-upstream run, counted the same way) and ${us(punchCpu(r => r.drain) - punchCpu(r => r.stored), total)} to
forward (form the batch, read its rows back, build the upstream JSON, one HTTP request per batch). With one attempt per device that
is ${s(floor)} of CPU on one core${floor > TARGET_SECONDS
    ? `, more than the ${TARGET_SECONDS} s target before any fsync or wait: the target needs less work
per punch, fewer fsyncs and a herd admitted without waste, or more than one core`
    : delivered > TARGET_SECONDS ? `, inside the ${TARGET_SECONDS} s target: the waste in connecting and the fsyncs are what keep the drain out of it` : ''}. The raw baseline stores
the same rows in ${s(rawS)} (${fmt(total / rawS)} rows/s, an fsync per ${fmt(LARGE_TXN)} rows) with nothing else to do.

The upstream. Requests in the median run: ${fmt(sizes.length)}, ${fixed(total / sizes.length, 0)} punches each on average (${pct(full / sizes.length)} full at
\`forward.batchSize\` ${forwardBatch}), ${fmt(phases.before)} of them (${fixed(phases.rateBefore, 1)}/s) before every punch was acked and ${fmt(phases.after)} after. ${forwardLag(d) <= 5
    ? `Punches reached the upstream at most ${s(forwardLag(d))} after they were acked (the timeline above): the upstream did not hold
the drain back.`
    : `Punches reached the upstream up to ${s(forwardLag(d))} after they were acked (the timeline above), and the last of them
${s(d.deliveredS - d.ackedS)} after the last ack.`} The default batch size is kept; a larger one (\`BENCH_DRAIN_FORWARD_BATCH\`) means fewer requests and
fewer of the forwarder's fsyncs per punch. The bench process (${fmt(shape.devices)} devices) used ${s(m(r => r.drain.benchCpu))} of CPU, the sink
${s(m(r => r.drain.sinkCpu))}; ${fmt(m(r => r.drain.ackedTwice))} punches were acked twice and the sink got ${fmt(m(r => r.drain.copies))} twice.

Memory. ${fmt(shape.devices)} idle connections alone took the gateway from ${mb(startRss)} to ${mb(idlePeak)}, about
${fmt((idlePeak - startRss) / shape.devices / 1024)} KB each. Measured apart (heap snapshots of a gateway with 1,500 and then 3,000 of these devices,
2026-11-30), a connection holds about 7.3 KB of heap: aedes's client 2.1 KB, its MQTT parser 2.0 KB (a whole
stream of its own for a buffer list), Node's socket 1.8 KB, the topic index and the two subscriptions 1.1 KB, the
keepalive timer 0.3 KB; the rest of the RSS is V8's young generation and the allocator, which grow with the
process rather than per connection. The drain's peak of ${mb(peak)} (${mb(m(r => r.stored.peakRss))} with no upstream) adds punches in flight,
the connections of attempts the devices gave up on and the gateway has not closed yet, and the garbage of 3,000,000
punches passing through; it varies from run to run by tens of MB with when V8 collects.${idlePeak / MB >= TARGET_RSS_MB * 0.8 ? ` With the connections alone at ${pct(idlePeak / MB / TARGET_RSS_MB)} of the ${TARGET_RSS_MB} MB target, there is
little room at ${fmt(shape.devices)} devices without a lighter connection, which means changing aedes or mqtt-packet.` : ''}
`
}
