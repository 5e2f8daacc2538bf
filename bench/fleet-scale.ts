/**
 * Can one simulator process run 10,000 devices (issue 5, "Scale")? A real gateway child process
 * (`punchline gateway --allow-anonymous`), N devices in this process, each the device's real Uplink over
 * the lite MQTT client (sim/fleet/) with an in-memory ring holding P punches. Connects are spread over a
 * window, every ring drains to the gateway, and the gateway's database is checked to hold every punch once.
 *
 *   npm run build && ulimit -n 20000 && npx tsx bench/fleet-scale.ts [--devices 10000] [--punches 30]
 *     [--capacity 64] [--window-ms 5000] [--max-connecting 200] [--fill before|after] [--batch-size 100]
 *   (or node dist/bench/fleet-scale.js with the same flags)
 *
 * --fill before: the rings hold their punches when the devices connect (a site coming back from an outage;
 *   draining overlaps the connects). --fill after: every device connects first, then all rings get their
 *   punches at once, so the drain figure is the gateway's ingest rate with every device online.
 *
 * Each connection is a file descriptor here and another in the gateway: both processes need about N + 100.
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import Database from 'better-sqlite3'
import { createMemoryRing, type Ring } from '../device/ring/index.js'
import { cpuSeconds, procMemory, removeTempDir, tempDir } from './children.js'
import { liveHeap as heapUsed } from './live-heap.js'
import { startGateway } from './gateway-child.js'
import { ephemeralPortsWarning, fileLimitProblem, LiteFleet, punchesFor } from './lite-fleet.js'

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '10000' },
    punches: { type: 'string', default: '30' },
    capacity: { type: 'string', default: '64' },
    'window-ms': { type: 'string', default: '5000' },
    'max-connecting': { type: 'string', default: '200' },
    fill: { type: 'string', default: 'before' },
    'batch-size': { type: 'string', default: '100' },
    'timeout-s': { type: 'string', default: '600' },
    /** node flags for the gateway child, e.g. --gateway-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof" to see where its time goes */
    'gateway-node-args': { type: 'string', default: '' }
  }
})
const N = Number(args.devices)
const P = Number(args.punches)
const CAPACITY = Number(args.capacity)
const WINDOW_MS = Number(args['window-ms'])
/** 0: no bound, every device connects at its time in the window whatever the gateway's pace */
const MAX_CONNECTING = Number(args['max-connecting'])
const BATCH = Number(args['batch-size'])
const TIMEOUT_MS = Number(args['timeout-s']) * 1000
const FILL = args.fill
if (FILL !== 'before' && FILL !== 'after') throw new Error('--fill: before or after')
if (!(P <= CAPACITY)) throw new Error(`--punches (${P}) must fit the ring --capacity (${CAPACITY}): the default policy refuses the rest`)

const MB = 1024 * 1024
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p / 100))] ?? NaN
const seconds = (ms: number): string => fmt(ms / 1000, 2) + ' s'

function checkLimits (): void {
  const problem = fileLimitProblem(N)
  if (problem !== undefined) {
    console.error(problem)
    process.exit(2)
  }
  const warning = ephemeralPortsWarning(N)
  if (warning !== undefined) console.error(`warning: ${warning}`)
}

/** Heap bytes one memory ring takes at a capacity, empty: what it preallocates per slot. */
async function ringFootprint (capacity: number): Promise<number> {
  const count = Math.max(4, Math.min(2000, Math.floor(50_000_000 / (capacity * 48))))
  const keep: Ring[] = []
  const before = await heapUsed()
  for (let i = 0; i < count; i++) keep.push(createMemoryRing({ capacity }))
  const per = (await heapUsed() - before) / count
  keep.length = 0
  return per
}

async function main (): Promise<void> {
  checkLimits()
  const dataDir = tempDir('punchline-fleet-')
  const gw = await startGateway({ dataDir, nodeArgs: args['gateway-node-args'].split(' ').filter(a => a !== '') })
  const pid = gw.child.pid
  const lag = monitorEventLoopDelay({ resolution: 20 })
  let peakHeap = 0
  let peakRss = 0
  const sampler = setInterval(() => {
    const m = process.memoryUsage()
    peakHeap = Math.max(peakHeap, m.heapUsed)
    peakRss = Math.max(peakRss, m.rss)
  }, 100)

  const base = await heapUsed()
  const baseRss = process.memoryUsage().rss
  const now = Date.now()
  const rings: Ring[] = []
  for (let d = 0; d < N; d++) {
    const ring = createMemoryRing({ capacity: CAPACITY })
    if (FILL === 'before') ring.appendMany(punchesFor(d, P, now))
    rings.push(ring)
  }
  const afterRings = await heapUsed()
  // A device's uplink options as the quick run had them (a fast reconnect, a patient ack), with the lite client as the transport.
  const fleet = new LiteFleet({ url: gw.url, rings, idPrefix: 'FLEET-', uplink: { fw: 'sim', batchSize: BATCH, backoff: { baseMs: 200, capMs: 2000 }, ackTimeoutMs: 10_000 } })
  const afterUplinks = await heapUsed()
  const total = N * P

  const cpu0 = process.cpuUsage()
  const gwCpu0 = cpuSeconds(pid)
  lag.enable()
  const deadline = setTimeout(() => {
    console.error(`timed out after ${TIMEOUT_MS / 1000} s: ${fleet.online}/${N} online, ${fleet.drained}/${N} drained`)
    process.exit(1)
  }, TIMEOUT_MS)
  // A gateway that dies under the load is a result, not a hang: the devices would retry forever.
  const died = (code: number | null, signal: string | null): void => {
    console.error(`the gateway exited (${String(code ?? signal)}) with ${fleet.online}/${N} online and ${fleet.drained}/${N} drained; its fatal log line is above`)
    process.exit(1)
  }
  gw.child.once('exit', died)
  const progress = setInterval(() => console.error(`  ${seconds(performance.now() - fleet.startedAt)}: ${fleet.online}/${N} online, ${fleet.drained}/${N} drained`), 5000)
  fleet.start(WINDOW_MS, MAX_CONNECTING > 0 ? MAX_CONNECTING : undefined)
  await fleet.allOnline
  const connectMs = fleet.allOnlineAt - fleet.startedAt
  // A full collection stops this process for a moment: keep it out of the event-loop delay figures.
  lag.disable()
  const afterConnect = await heapUsed()
  lag.enable()
  const afterConnectRss = process.memoryUsage().rss
  let drainFrom = fleet.startedAt
  if (FILL === 'after') {
    drainFrom = performance.now()
    for (let d = 0; d < N; d++) {
      rings[d].appendMany(punchesFor(d, P, now))
      fleet.uplinks[d].kick()
    }
  }
  await fleet.allDrained
  clearInterval(progress)
  clearTimeout(deadline)
  lag.disable()
  const drainMs = fleet.allDrainedAt - drainFrom
  const cpu = process.cpuUsage(cpu0)
  const gwCpu = cpuSeconds(pid) - gwCpu0
  const gwMem = procMemory(pid)
  const afterDrain = await heapUsed()

  gw.child.off('exit', died)
  const stopMs = await fleet.stop()
  clearInterval(sampler)
  await gw.stop()
  const db = new Database(join(dataDir, 'punchline.db'), { readonly: true })
  const rows = db.prepare('SELECT count(*) AS n, count(DISTINCT device) AS devices FROM punches').get() as { n: number, devices: number }
  db.close()
  removeTempDir(dataDir)

  // Last, with the fleet gone: these rings' buffers are freed lazily and would blur the figures above.
  const connectText = `all ${fmt(N)} online after ${seconds(connectMs)} (half by ${seconds(pct(fleet.onlineAfter, 50))}, 90 % by ${seconds(pct(fleet.onlineAfter, 90))}); ${fleet.attemptsText()}`
  const acked = fleet.acked
  const wall = (fleet.allDrainedAt - fleet.startedAt) / 1000
  fleet.uplinks.length = 0
  rings.length = 0
  const footprints: Array<{ capacity: number, bytes: number }> = []
  for (const capacity of [64, 500, 5000, 100_000]) footprints.push({ capacity, bytes: await ringFootprint(capacity) })
  const out = [
    `fleet-scale: ${fmt(N)} devices x ${P} punches (ring capacity ${CAPACITY}, batch ${BATCH}), connects spread over ${seconds(WINDOW_MS)}${MAX_CONNECTING > 0 ? `, at most ${MAX_CONNECTING} connecting at once` : ', unbounded'}, fill ${FILL}`,
    `  connect      ${connectText}`,
    `  drain        ${fmt(total)} punches acked (${fmt(acked - total)} acked twice after resends) in ${seconds(drainMs)} (${FILL === 'after' ? 'from the fill, every device online' : 'from the first connect'}): ${fmt(total / (drainMs / 1000))} punches/s`,
    `  stored       ${fmt(rows.n)} rows for ${fmt(rows.devices)} devices in the gateway's database${rows.n === total && rows.devices === N ? ' (all, once)' : ' MISMATCH'}`,
    `  stop         every uplink stopped (offline status + DISCONNECT) in ${seconds(stopMs)}`,
    `  cpu          simulator ${fmt((cpu.user + cpu.system) / 1e6, 1)} s, gateway ${fmt(gwCpu, 1)} s over ${fmt(wall, 1)} s of connect+drain; event-loop delay here p99 ${fmt(lag.percentile(99) / 1e6)} ms, max ${fmt(lag.max / 1e6)} ms`,
    `  simulator    peak RSS ${fmt(process.resourceUsage().maxRSS / 1024)} MB (sampled ${fmt(peakRss / MB)} MB), peak heap ${fmt(peakHeap / MB)} MB`,
    `  gateway      peak RSS (VmHWM) ${fmt(gwMem.peak / MB)} MB, RSS after the drain ${fmt(gwMem.rss / MB)} MB`,
    '  per device (JS heap + ArrayBuffers after a full GC, this process):',
    `    ring (capacity ${CAPACITY}${FILL === 'before' ? `, ${P} punches` : ', empty'})  ${fmt((afterRings - base) / N)} B`,
    `    uplink object           ${fmt((afterUplinks - afterRings) / N)} B`,
    `    connected (lite client, socket, timers)  ${fmt((afterConnect - afterUplinks) / N)} B heap; RSS ${fmt((afterConnectRss - baseRss) / N)} B per device so far`,
    `    after the drain         ${fmt((afterDrain - base) / N)} B heap in all`,
    '  empty memory ring, heap + ArrayBuffer bytes by capacity (preallocated per slot):',
    ...footprints.map(f => `    capacity ${String(f.capacity).padStart(7)}: ${fmt(f.bytes)} B (${fmt(f.bytes / f.capacity, 1)} B/slot); ${fmt(N)} devices: ${fmt(f.bytes * N / MB)} MB`)
  ]
  console.log(out.join('\n'))
  if (rows.n !== total || rows.devices !== N) process.exitCode = 1
}

main().catch((err: Error) => {
  console.error(err)
  process.exit(1)
})
