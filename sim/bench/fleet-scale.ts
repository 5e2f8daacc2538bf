/**
 * Can one simulator process run 10,000 devices (issue 5, "Scale")? A real gateway child process
 * (`punchline gateway --allow-anonymous`), N devices in this process, each the device's real Uplink over
 * the lite MQTT client (sim/fleet/) with an in-memory ring holding P punches. Connects are spread over a
 * window, every ring drains to the gateway, and the gateway's database is checked to hold every punch once.
 *
 *   npm run build && ulimit -n 20000 && npx tsx sim/bench/fleet-scale.ts [--devices 10000] [--punches 30]
 *     [--capacity 64] [--window-ms 5000] [--max-connecting 200] [--fill before|after] [--batch-size 100]
 *   (or node dist/sim/bench/fleet-scale.js with the same flags)
 *
 * --fill before: the rings hold their punches when the devices connect (a site coming back from an outage;
 *   draining overlaps the connects). --fill after: every device connects first, then all rings get their
 *   punches at once, so the drain figure is the gateway's ingest rate with every device online.
 *
 * Each connection is a file descriptor here and another in the gateway: both processes need about N + 100.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import Database from 'better-sqlite3'
import { pino } from 'pino'
import { createMemoryRing, type Ring } from '../../device/ring/index.js'
import { Uplink } from '../../device/uplink.js'
import type { PunchInput } from '../../shared/punch.js'
import { connectLite } from '../fleet/lite-client.js'
import type { UplinkConnect } from '../../device/uplink-client.js'
import { startStaggered, type StaggeredStart } from '../fleet/fleet.js'

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

// A full collection before each memory reading, without asking for --expose-gc on the command line.
setFlagsFromString('--expose_gc')
const gc = runInNewContext('gc') as () => void

const MB = 1024 * 1024
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p / 100))] ?? NaN
const seconds = (ms: number): string => fmt(ms / 1000, 2) + ' s'

/** Soft limits this process (and the gateway it spawns, which inherits them) runs under. */
function openFileLimit (): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find(l => l.startsWith('Max open files'))
  const soft = line?.split(/\s+/)[3]
  return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft)
}

function checkLimits (): void {
  const need = N + 200
  const limit = openFileLimit()
  if (limit < need) {
    console.error(`open files limit is ${limit}; ${N} devices need about ${need} here and as many in the gateway.\n` +
      `Raise it in the shell that runs this (up to the hard limit, \`ulimit -Hn\`): ulimit -n ${need}`)
    process.exit(2)
  }
  const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
  if (hi - lo + 1 < N + 100) console.error(`warning: ${hi - lo + 1} ephemeral ports for ${N} connections to one address (net.ipv4.ip_local_port_range)`)
}

/**
 * JS heap plus ArrayBuffers (the ring's typed arrays live outside the heap), after full collections. The
 * memory of dead ArrayBuffers is given back after the collection, off the main thread: collect and yield
 * until the figure stops falling, or rings freed a moment ago still count.
 */
async function heapUsed (): Promise<number> {
  let last = Infinity
  for (let i = 0; i < 10; i++) {
    gc()
    await new Promise(resolve => setImmediate(resolve))
    const m = process.memoryUsage()
    const now = m.heapUsed + m.arrayBuffers
    if (now >= last) return now
    last = now
  }
  return last
}

function procStatus (pid: number): { hwm: number, rss: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024
  return { hwm: kb('VmHWM'), rss: kb('VmRSS') }
}

/** utime + stime of a process, in seconds. */
function cpuSeconds (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

interface GatewayChild { child: ChildProcess, url: string, dataDir: string }

async function startGateway (): Promise<GatewayChild> {
  // Compiled, this file is dist/sim/bench/ and the CLI dist/bin/; run from source by tsx, the CLI is still dist/bin/.
  const cli = [new URL('../../bin/punchline.js', import.meta.url), new URL('../../dist/bin/punchline.js', import.meta.url)]
    .map(u => fileURLToPath(u)).find(p => existsSync(p))
  if (cli === undefined) throw new Error('dist/bin/punchline.js not found: run `npm run build` first')
  const dataDir = mkdtempSync(join(tmpdir(), 'punchline-fleet-'))
  const nodeArgs = args['gateway-node-args'].split(' ').filter(a => a !== '')
  const child = spawn(process.execPath, [...nodeArgs, cli, 'gateway', '--data', dataDir, '--mqtt-port', '0', '--http-port', '0', '--allow-anonymous'], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PUNCHLINE_LOG_LEVEL: 'info' }
  })
  const lines = createInterface({ input: child.stdout! })
  const port = await new Promise<number>((resolve, reject) => {
    lines.on('line', (line) => {
      try {
        const e = JSON.parse(line) as { msg?: string, mqttPort?: number, level?: number }
        if (e.msg === 'gateway ready' && e.mqttPort !== undefined) resolve(e.mqttPort)
        // The gateway's own warnings and errors under this load are part of the result.
        else if ((e.level ?? 0) >= 50) console.error('gateway:', line)
      } catch {}
    })
    child.once('exit', code => reject(new Error(`gateway exited ${String(code)} before ready`)))
    setTimeout(() => reject(new Error('gateway did not log "gateway ready" within 20 s')), 20_000).unref()
  })
  return { child, url: `mqtt://127.0.0.1:${port}`, dataDir }
}

function punchesFor (d: number, n: number, now: number): PunchInput[] {
  const out: PunchInput[] = []
  for (let i = 0; i < n; i++) out.push({ ts: now - (n - i) * 60_000, emp: 'E' + String(1000 + ((d * 7 + i) % 500)), kind: i % 2 === 0 ? 'in' : 'out', method: 'card', clock: 'synced' })
  return out
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
  const gw = await startGateway()
  const log = pino({ level: 'silent' })
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

  let t0 = 0
  let online = 0
  let acked = 0
  let drainedDevices = 0
  const total = N * P
  let lastOnlineAt = 0
  let drainedAt = 0
  let resolveDrained!: () => void
  const drained = new Promise<void>(resolve => { resolveDrained = resolve })
  let resolveAllOnline!: () => void
  const allOnline = new Promise<void>(resolve => { resolveAllOnline = resolve })
  // Connection errors by message: refused connects and timeouts are what a herd looks like from here.
  const errors = new Map<string, number>()
  let attempts = 0
  const connect: UplinkConnect = (url, opts) => {
    attempts++
    const c = connectLite(url, opts)
    c.on('error', (err: Error) => errors.set(err.message, (errors.get(err.message) ?? 0) + 1))
    return c
  }
  const onlineAfter: number[] = []
  let starting: StaggeredStart | undefined
  const uplinks: Uplink[] = rings.map((ring, d) => {
    // The options SimDevice gives its uplink (sim/device.ts), with the lite client as the transport.
    const up = new Uplink({
      url: gw.url, deviceId: `FLEET-${d}`, ring, log, fw: 'sim', batchSize: BATCH,
      backoff: { baseMs: 200, capMs: 2000 }, ackTimeoutMs: 10_000, connect
    })
    let seen = false
    up.on('online', () => {
      if (seen) return
      seen = true
      starting?.settled(d)
      onlineAfter.push(performance.now() - t0)
      if (++online === N) { lastOnlineAt = performance.now(); resolveAllOnline() }
    })
    let empty = false
    up.on('acked', (seqs: number[]) => {
      // Acks of batches sent twice (an ack timeout, a reconnect) list seqs again: count the ring, not the acks.
      acked += seqs.length
      if (empty || ring.stats().pending > 0 || (FILL === 'after' && online < N)) return
      empty = true
      if (++drainedDevices === N) { drainedAt = performance.now(); resolveDrained() }
    })
    return up
  })
  const afterUplinks = await heapUsed()

  const cpu0 = process.cpuUsage()
  const gwCpu0 = cpuSeconds(gw.child.pid!)
  lag.enable()
  t0 = performance.now()
  const deadline = setTimeout(() => {
    console.error(`timed out after ${TIMEOUT_MS / 1000} s: ${online}/${N} online, ${drainedDevices}/${N} drained`)
    process.exit(1)
  }, TIMEOUT_MS)
  // A gateway that dies under the load is a result, not a hang: the devices would retry forever.
  gw.child.once('exit', (code, signal) => {
    console.error(`the gateway exited (${String(code ?? signal)}) with ${online}/${N} online and ${drainedDevices}/${N} drained; its fatal log line is above`)
    process.exit(1)
  })
  const progress = setInterval(() => console.error(`  ${seconds(performance.now() - t0)}: ${online}/${N} online, ${drainedDevices}/${N} drained`), 5000)
  starting = startStaggered(uplinks, { windowMs: WINDOW_MS, maxPending: MAX_CONNECTING > 0 ? MAX_CONNECTING : undefined })
  await allOnline
  const connectMs = lastOnlineAt - t0
  // A full collection stops this process for a moment: keep it out of the event-loop delay figures.
  lag.disable()
  const afterConnect = await heapUsed()
  lag.enable()
  const afterConnectRss = process.memoryUsage().rss
  let drainFrom = t0
  if (FILL === 'after') {
    drainFrom = performance.now()
    for (let d = 0; d < N; d++) {
      rings[d].appendMany(punchesFor(d, P, now))
      uplinks[d].kick()
    }
  }
  await drained
  clearInterval(progress)
  clearTimeout(deadline)
  lag.disable()
  const drainMs = drainedAt - drainFrom
  const cpu = process.cpuUsage(cpu0)
  const gwCpu = cpuSeconds(gw.child.pid!) - gwCpu0
  const gwMem = procStatus(gw.child.pid!)
  const afterDrain = await heapUsed()

  gw.child.removeAllListeners('exit')
  const s0 = performance.now()
  await Promise.all(uplinks.map(async up => await up.stop()))
  const stopMs = performance.now() - s0
  clearInterval(sampler)
  gw.child.kill('SIGTERM')
  await new Promise(resolve => gw.child.once('exit', resolve))
  const db = new Database(join(gw.dataDir, 'punchline.db'), { readonly: true })
  const rows = db.prepare('SELECT count(*) AS n, count(DISTINCT device) AS devices FROM punches').get() as { n: number, devices: number }
  db.close()
  rmSync(gw.dataDir, { recursive: true, force: true })

  // Last, with the fleet gone: these rings' buffers are freed lazily and would blur the figures above.
  uplinks.length = 0
  rings.length = 0
  const footprints: Array<{ capacity: number, bytes: number }> = []
  for (const capacity of [64, 500, 5000, 100_000]) footprints.push({ capacity, bytes: await ringFootprint(capacity) })
  const wall = (drainedAt - t0) / 1000
  const out = [
    `fleet-scale: ${fmt(N)} devices x ${P} punches (ring capacity ${CAPACITY}, batch ${BATCH}), connects spread over ${seconds(WINDOW_MS)}${MAX_CONNECTING > 0 ? `, at most ${MAX_CONNECTING} connecting at once` : ', unbounded'}, fill ${FILL}`,
    `  connect      all ${fmt(N)} online after ${seconds(connectMs)} (half by ${seconds(pct(onlineAfter, 50))}, 90 % by ${seconds(pct(onlineAfter, 90))}); ${fmt(attempts)} connection attempts${errors.size === 0 ? '' : ', errors: ' + [...errors].map(([m, n]) => `${m} x${n}`).join(', ')}`,
    `  drain        ${fmt(total)} punches acked (${fmt(acked - total)} acked twice after resends) in ${seconds(drainMs)} (${FILL === 'after' ? 'from the fill, every device online' : 'from the first connect'}): ${fmt(total / (drainMs / 1000))} punches/s`,
    `  stored       ${fmt(rows.n)} rows for ${fmt(rows.devices)} devices in the gateway's database${rows.n === total && rows.devices === N ? ' (all, once)' : ' MISMATCH'}`,
    `  stop         every uplink stopped (offline status + DISCONNECT) in ${seconds(stopMs)}`,
    `  cpu          simulator ${fmt((cpu.user + cpu.system) / 1e6, 1)} s, gateway ${fmt(gwCpu, 1)} s over ${fmt(wall, 1)} s of connect+drain; event-loop delay here p99 ${fmt(lag.percentile(99) / 1e6)} ms, max ${fmt(lag.max / 1e6)} ms`,
    `  simulator    peak RSS ${fmt(process.resourceUsage().maxRSS / 1024)} MB (sampled ${fmt(peakRss / MB)} MB), peak heap ${fmt(peakHeap / MB)} MB`,
    `  gateway      peak RSS (VmHWM) ${fmt(gwMem.hwm / MB)} MB, RSS after the drain ${fmt(gwMem.rss / MB)} MB`,
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
