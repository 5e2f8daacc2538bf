/**
 * Online latency, punch → upstream: real device runtimes (device/runtime.ts, each with its file ring,
 * durable on append, and its MQTT.js uplink) take punches at a steady modest rate while online, against the
 * gateway child process forwarding to an HTTP sink in this process (fakes/upstream/webhook-upstream.ts). Measured from
 * the moment the punch is taken on the device to its arrival in a request at the sink; also to the ack
 * back at the device. The baseline: the raw MQTT round trip (publish QoS 1 → PUBACK) of a one-punch batch
 * against the broker alone (aedes-child.ts), same machine, same clients, same rate.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { MqttClient } from 'mqtt'
import { pino } from 'pino'
import { parseDeviceConfig } from '../device/config.js'
import { DeviceRuntime } from '../device/runtime.js'
import { defaultConfig } from '../gateway/config.js'
import { encodeBatch } from '../shared/codec/batch.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { removeTempDir, spawnTracked, stopChild, tempDir, waitForLine } from './children.js'
import { benchScript } from './paths.js'
import { startGateway, type BenchGateway } from './gateway-child.js'
import { readPunchEvents, type EventReader } from './event-reader.js'
import { connectDevice, makePunches } from './mqtt-load.js'
import { fixed, percentile, sleep } from './stats.js'

const AEDES_CHILD = benchScript('aedes-child.js')

const WARMUP_MS = 2000
const ARRIVAL_TIMEOUT_MS = 30_000

export interface LatencyShape {
  devices: number
  /** each device punches once per this many ms, the devices evenly staggered */
  intervalMs: number
  /** measured seconds (after a warm-up) */
  seconds: number
  /** forward.lingerMs given to the gateway; undefined leaves its default */
  lingerMs?: number
}

export interface Quantiles { p50: number, p99: number, max: number, n: number }

export interface LatencyRun {
  /** punch taken → its request arrives at the upstream sink */
  toSink: Quantiles
  /** punch taken → the gateway's ack (after its commit) reaches the device */
  toAck: Quantiles
  /**
   * punch taken → its `punch` event on GET /api/v1/events (what the console's pages show live); absent in
   * figures measured before it was
   */
  toEvent?: Quantiles
  /** the ring append, durable on return (part of both of the above) */
  append: Quantiles
  /** the gateway's `received` stamp → arrival at the sink (ms clock resolution): the forwarder's share */
  forwarder: Quantiles
  /** punches per upstream request */
  perRequest: number
  /** publish of a one-punch batch → PUBACK against the broker alone */
  rtt: Quantiles
}

/**
 * What "Online latency, punch → upstream" (docs/BENCHMARKS.md) is rendered from (bench/latency-render.ts),
 * saved as docs/bench/latency.json.
 */
export interface LatencyFigures {
  /** when the figures were measured (ISO 8601) */
  measuredAt: string
  shape: LatencyShape
  warmupMs: number
  /** the gateway's forward.lingerMs and forward.batchSize in these runs */
  lingerMs: number
  forwardBatch: number
  runs: LatencyRun[]
}

/** `runs` latency runs one after the other, each with its own gateway and broker. */
export async function measureLatency (shape: LatencyShape, runs: number, say: (line: string) => void): Promise<LatencyFigures> {
  const measuredAt = new Date().toISOString()
  const done: LatencyRun[] = []
  for (let run = 0; run < runs; run++) done.push(await latencyRun(shape, line => say(`run ${run + 1}/${runs}: ${line}`)))
  const forward = defaultConfig().forward
  return { measuredAt, shape, warmupMs: WARMUP_MS, lingerMs: shape.lingerMs ?? forward.lingerMs, forwardBatch: forward.batchSize, runs: done }
}

function quantiles (ms: number[]): Quantiles {
  return { p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms), n: ms.length }
}

/** Calls `tick(d, i)` for each device `d` every `intervalMs`, devices staggered evenly; returns a stop function. */
function steady (devices: number, intervalMs: number, tick: (d: number, i: number) => void): () => void {
  const timers: NodeJS.Timeout[] = []
  for (let d = 0; d < devices; d++) {
    let i = 0
    timers.push(setTimeout(() => {
      tick(d, i++)
      timers.push(setInterval(() => tick(d, i++), intervalMs))
    }, Math.round(d * intervalMs / devices)))
  }
  return () => { for (const t of timers) { clearTimeout(t); clearInterval(t) } }
}

async function punchToSink (shape: LatencyShape, log: (line: string) => void): Promise<Omit<LatencyRun, 'rtt'>> {
  const dir = tempDir('punchline-bench-latency-')
  const sink = new WebhookUpstream()
  /** punch id → performance.now() when the runtime took it */
  const taken = new Map<string, number>()
  /** measured punches not yet at the sink */
  const measured = new Set<string>()
  /** every measured punch */
  const inWindow = new Set<string>()
  const toSink: number[] = []
  const forwarder: number[] = []
  let requests = 0
  let punchesIn = 0
  let allIn: (() => void) | undefined
  sink.respond((req) => {
    const perf = performance.now()
    const wall = Date.now()
    const punches = req.body?.punches ?? []
    requests++
    punchesIn += punches.length
    for (const p of punches) {
      if (!measured.delete(p.id)) continue
      toSink.push(perf - taken.get(p.id)!)
      forwarder.push(wall - Date.parse(p.received))
    }
    if (measured.size === 0) allIn?.()
    return { status: 200 }
  })
  const runtimes: DeviceRuntime[] = []
  let stopPunching = (): void => {}
  let config: string | undefined
  if (shape.lingerMs !== undefined) {
    config = join(dir, 'gateway.json')
    writeFileSync(config, JSON.stringify({ forward: { lingerMs: shape.lingerMs } }))
  }
  let gw: BenchGateway | undefined
  let events: EventReader | undefined
  const toEvent: number[] = []
  try {
    gw = await startGateway({ dataDir: join(dir, 'gateway'), upstream: await sink.start(), config })
    events = readPunchEvents(`http://127.0.0.1:${gw.httpPort}/api/v1/events`, gw.authorization, (id, at) => {
      if (inWindow.has(id)) toEvent.push(at - taken.get(id)!)
    })
    await events.opened
    const silent = pino({ level: 'silent' })
    const toAck: number[] = []
    const append: number[] = []
    let recording = false
    for (let d = 0; d < shape.devices; d++) {
      const config = parseDeviceConfig({
        id: `LAT-${d}`,
        broker: { url: gw.url },
        ring: { path: join(dir, `ring-${d}.bin`), capacity: 5000 },
        // Every punch is a new one; an NTP-synced terminal.
        duplicateWindowMs: 0,
        clock: { trustSystemClock: true },
        fw: 'bench'
      })
      const rt = new DeviceRuntime(config, { log: silent })
      rt.uplink.on('acked', (seqs: number[]) => {
        const at = performance.now()
        for (const seq of seqs) {
          const id = `${config.id}:${rt.ring.epoch}:${seq}`
          if (inWindow.has(id)) toAck.push(at - taken.get(id)!)
        }
      })
      runtimes.push(rt)
    }
    await Promise.all(runtimes.map(async rt => {
      const online = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${rt.config.id} not online within 20 s`)), 20_000)
        rt.once('online', () => { clearTimeout(timer); resolve() })
      })
      await rt.start()
      await online
    }))
    // The uplink holds its first upload until the gateway's time command (at most 1 s); let that pass.
    await sleep(1200)
    const ids = runtimes.map(rt => `${rt.config.id}:${rt.ring.epoch}`)
    let refused: string | undefined
    stopPunching = steady(shape.devices, shape.intervalMs, (d, i) => {
      const perf = performance.now()
      const r = runtimes[d].punch({ emp: 'E' + String(1000 + d * 100 + (i % 100)), method: 'card', kind: i % 2 === 0 ? 'in' : 'out' })
      const done = performance.now()
      if (r.outcome !== 'accepted') { refused ??= `${runtimes[d].config.id}: punch not accepted: ${JSON.stringify(r)}`; return }
      const id = `${ids[d]}:${r.seq}`
      taken.set(id, perf)
      if (recording) { measured.add(id); inWindow.add(id); append.push(done - perf) }
    })
    await sleep(WARMUP_MS)
    recording = true
    await sleep(shape.seconds * 1000)
    recording = false
    stopPunching()
    if (refused !== undefined) throw new Error(refused)
    const expected = measured.size + toSink.length
    if (measured.size > 0) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${measured.size} of ${expected} punches not at the sink ${ARRIVAL_TIMEOUT_MS / 1000} s after the last punch`)), ARRIVAL_TIMEOUT_MS)
        allIn = () => { clearTimeout(timer); resolve() }
      })
    }
    const run = {
      toSink: quantiles(toSink),
      toAck: quantiles(toAck),
      toEvent: quantiles(toEvent),
      append: quantiles(append),
      forwarder: quantiles(forwarder),
      perRequest: punchesIn / requests
    }
    log(`punch → upstream: p50 ${fixed(run.toSink.p50, 1)} ms, p99 ${fixed(run.toSink.p99, 1)} ms (${run.toSink.n} punches); punch → ack at the device p50 ${fixed(run.toAck.p50, 1)} ms, p99 ${fixed(run.toAck.p99, 1)} ms; punch → live event p50 ${fixed(run.toEvent.p50, 1)} ms, p99 ${fixed(run.toEvent.p99, 1)} ms (${run.toEvent.n}); gateway received → sink p50 ${fixed(run.forwarder.p50, 0)} ms; ${fixed(run.perRequest, 1)} punches per upstream request`)
    return run
  } finally {
    stopPunching()
    events?.close()
    await Promise.all(runtimes.map(async rt => await rt.stop()))
    await gw?.stop()
    await sink.close()
    removeTempDir(dir)
  }
}

/** Publish QoS 1 → PUBACK of a one-punch batch, the same clients and rate, against the broker alone. */
async function mqttRoundTrip (shape: LatencyShape, log: (line: string) => void): Promise<Quantiles> {
  const child = spawnTracked(process.execPath, [AEDES_CHILD], { stdio: ['ignore', 'pipe', 'inherit'] })
  const clients: MqttClient[] = []
  let stop = (): void => {}
  try {
    const port = await waitForLine(child, 'aedes child', 20_000, line => (JSON.parse(line) as { port?: number }).port)
    for (let d = 0; d < shape.devices; d++) clients.push(await connectDevice(`mqtt://127.0.0.1:${port}`, `LAT-${d}`))
    const rtt: number[] = []
    let recording = false
    let outstanding = 0
    const now = Date.now()
    stop = steady(shape.devices, shape.intervalMs, (d, i) => {
      const payload = encodeBatch({ v: 1, id: 'b' + i, epoch: 'cccccccc', tz: 480, punches: makePunches(1, i + 1, now) })
      const keep = recording
      outstanding++
      const t0 = performance.now()
      clients[d].publish(`att/v1/LAT-${d}/punches`, payload, { qos: 1 }, (err) => {
        outstanding--
        if (err == null && keep) rtt.push(performance.now() - t0)
      })
    })
    await sleep(WARMUP_MS)
    recording = true
    await sleep(shape.seconds * 1000)
    recording = false
    stop()
    for (let waited = 0; outstanding > 0 && waited < 5000; waited += 50) await sleep(50)
    const q = quantiles(rtt)
    log(`raw MQTT round trip (publish QoS 1 → PUBACK, broker alone): p50 ${fixed(q.p50, 2)} ms, p99 ${fixed(q.p99, 2)} ms (${q.n} publishes)`)
    return q
  } finally {
    stop()
    await Promise.all(clients.map(async c => await c.endAsync(true)))
    await stopChild(child)
  }
}

export async function latencyRun (shape: LatencyShape, log: (line: string) => void): Promise<LatencyRun> {
  const run = await punchToSink(shape, log)
  return { ...run, rtt: await mqttRoundTrip(shape, log) }
}
