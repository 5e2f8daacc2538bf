/**
 * The post-outage drain (issue 6): N devices, each holding P punches in its ring, reconnect at once to the
 * gateway child process, which stores them and forwards them to an upstream HTTP sink in a third process
 * (sink-child.ts). Timed from the first connect until the sink has every punch; beside it, in the same
 * run, the same rows as raw better-sqlite3 batched inserts and the same fleet against a gateway with no
 * upstream (stored and acked only), so the figure has its ratios; and the same devices with empty rings,
 * connecting at a bounded pace, for the gateway's memory and connect cost with nothing else to do. What the
 * gateway's RSS and CPU, its commits, the forwarder's requests and the devices' connection attempts were
 * goes in the figures, to say what limits the figure.
 *
 * This file only measures: `measureDrain` returns plain JSON-able figures (drain-figures.ts);
 * drain-analysis.ts says what they mean and drain-render.ts writes the section from them.
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
import { fixed, fmt, percentile } from './stats.js'
import { MB } from './drain-analysis.js'
import type { AcceptCheck, DrainFigures, DrainOutcome, DrainRun, DrainSample, DrainSetting, DrainShape, FleetRun } from './drain-figures.js'

function drainSkipReason (shape: DrainShape): string | undefined {
  return fileLimitProblem(shape.devices)
}

interface SinkDone { at: number, distinct: number, copies: number, unreadable: number, requests: number, times: number[], sizes: number[] }

/** The upstream in its own process; `done` resolves once it has every expected punch. */
export async function startSink (expected: number): Promise<{ url: string, pid: number | undefined, delivered: () => number, done: Promise<SinkDone>, stop: () => Promise<void> }> {
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
  if (shape.forwardBatch !== undefined || shape.gatewayMqtt !== undefined || shape.gatewayForward !== undefined) {
    config = join(dir, 'gateway.json')
    const forward = { ...shape.gatewayForward, ...shape.forwardBatch === undefined ? {} : { batchSize: shape.forwardBatch } }
    writeFileSync(config, JSON.stringify({
      ...Object.keys(forward).length === 0 ? {} : { forward },
      ...shape.gatewayMqtt === undefined ? {} : { mqtt: shape.gatewayMqtt }
    }))
  }
  let gw: BenchGateway | undefined
  let fleet: LiteFleet | undefined
  try {
    gw = await startGateway({ dataDir: join(dir, 'gateway'), upstream: sink?.url, config, nodeArgs: [...shape.gatewayFlags ?? [], ...nodeArgs ?? []] })
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
      ackedS: kind === 'idle' ? null : (f.allDrainedAt - f.startedAt) / 1000,
      deliveredS: sinkDone === undefined ? null : (sinkDone.at - t0Wall) / 1000,
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
        `all ${fmt(total)} acked after ${fixed(run.ackedS ?? NaN, 1)} s${kind === 'drain' ? `, at the upstream after ${fixed(run.deliveredS ?? NaN, 1)} s (${fmt(run.requestSizes.length)} requests)` : ''}; ` +
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

async function drainRun (shape: DrainShape, first: boolean, log: (line: string) => void): Promise<DrainRun> {
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
async function acceptsPerTurn (): Promise<AcceptCheck> {
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

/** What the section states beside the figures, as this bench and this Node run them. */
function drainSetting (): DrainSetting {
  const forward = defaultConfig().forward
  return {
    rawTxnRows: LARGE_TXN,
    idleConnecting: IDLE_CONNECTING,
    forward: { batchSize: forward.batchSize, lingerMs: forward.lingerMs, concurrency: forward.concurrency },
    uplinkConnackTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
    libuv: process.versions.uv,
    acceptsPerTurn: defaultConfig().mqtt.acceptsPerTurn,
    readBytesPerTurn: defaultConfig().mqtt.readBytesPerTurn
  }
}

/**
 * `runs` drain runs one after the other, stopping at the first that fails (a gateway that dies under the herd
 * is a result, reported in the figures; the rest of the bench stands), then the accept check.
 */
export async function measureDrain (shape: DrainShape, runs: number, say: (line: string) => void): Promise<DrainFigures> {
  const measuredAt = new Date().toISOString()
  const skipped = drainSkipReason(shape)
  if (skipped !== undefined) {
    say(`drain figures skipped: ${skipped}`)
    return { measuredAt, shape, setting: drainSetting(), outcome: { skipped } }
  }
  const done: DrainRun[] = []
  let outcome: DrainOutcome = { runs: done }
  for (let run = 0; run < runs; run++) {
    try {
      done.push(await drainRun(shape, run === 0, line => say(`drain run ${run + 1}/${runs}: ${line}`)))
    } catch (err) {
      outcome = { runs: done, failed: `run ${run + 1}: ${(err as Error).message}` }
      say(`drain failed: ${outcome.failed}`)
      break
    }
  }
  const accept = await acceptsPerTurn()
  say(`accept check: with ${accept.waiting} connections waiting, one turn of the event loop accepted ${accept.firstTurn}`)
  return { measuredAt, shape, setting: drainSetting(), outcome, accept }
}
