/**
 * How much heap the scenario simulator's devices hold (issue 14: 10,000 real DeviceRuntimes in one process
 * within the memory the simulator's own device took). Two measures, both as JS heap plus ArrayBuffers after
 * full collections, so what is counted is what is live, not the garbage a default run's peak RSS mostly is:
 *
 * Run it compiled (npm run build:dev): a loader that transpiles on the fly may compile private fields
 * differently and change what an object costs.
 *
 *   node dist/bench/sim-memory.js devices [--devices 10000] [--punches 7]
 *     FleetDevices (sim/engine/fleet-device.ts) built as the engine builds them, not connected, then the
 *     punches taken: heap per device.
 *   node dist/bench/sim-memory.js scenario [--name large-fleet] [--scale 1] [--every-min 30]
 *     The scenario run as `punchline sim` runs it (light clients on in-process links), with the live heap
 *     read at every --every-min of virtual time: the same points in every run, unlike the collections a
 *     default run happens to make (--trace-gc).
 *
 * Add --snapshot FILE to write a heap snapshot (v8.writeHeapSnapshot) after the devices are built, or, with
 * --snapshot-min M, at the scenario's reading of virtual minute M; DevTools or a script summing self sizes
 * by constructor reads it.
 */
import { parseArgs } from 'node:util'
import { writeHeapSnapshot } from 'node:v8'
import { pino } from 'pino'
import { FleetDevice } from '../sim/engine/fleet-device.js'
import { FateLedger } from '../sim/engine/fate-ledger.js'
import { runScenario } from '../sim/engine/engine.js'
import { namedScenario } from '../sim/scenario/library.js'
import { scaleScenario } from '../sim/workload/scale.js'
import { connectLite } from '../sim/fleet/lite-client.js'
import type { DeviceGroupSpec } from '../sim/scenario/types.js'
import { seededRandom } from '../sim/workload/seeded-random.js'
import { fullGc, liveHeap } from './live-heap.js'

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    devices: { type: 'string', default: '10000' },
    punches: { type: 'string', default: '7' },
    name: { type: 'string', default: 'large-fleet' },
    scale: { type: 'string', default: '1' },
    'every-min': { type: 'string', default: '30' },
    snapshot: { type: 'string' },
    'snapshot-min': { type: 'string' }
  }
})

const MB = 1024 * 1024

/** The large-fleet groups: terminals with 10,000-slot rings, one watch in ten with 2,000. */
const GROUPS: DeviceGroupSpec[] = [
  { kind: 'terminal', count: 0, prefix: 'plant-T', method: 'fingerprint', ring: { capacity: 10_000, policy: 'refuse' }, uplink: { batchSize: 100, window: 2 }, clockDriftPpm: 0 },
  { kind: 'watch', count: 0, prefix: 'yard-W', method: 'gps', ring: { capacity: 2000, policy: 'refuse' }, uplink: { batchSize: 100, window: 2 }, clockDriftPpm: 0 }
]

async function devices (n: number, punches: number): Promise<void> {
  const log = pino({ level: 'silent' })
  const ledger = new FateLedger()
  const random = seededRandom(1)
  let now = Date.UTC(2026, 10, 23, 6)
  const virtualNow = (): number => now
  const connect = (): never => { throw new Error('devices mode does not connect') }
  const fleet: FleetDevice[] = []
  const base = await liveHeap()
  for (let i = 0; i < n; i++) {
    const group = GROUPS[i % 10 === 9 ? 1 : 0]
    const id = `${group.prefix}${String(i).padStart(5, '0')}`
    // As the engine builds them (sim/engine/engine.ts): a child logger per device, the fleet's caps.
    fleet.push(new FleetDevice({ id, site: 'plant', group, tz: 480, url: 'mqtt://memory-link/plant', virtualNow, ledger, log: log.child({ device: id }), random, connect, backoffCapMs: Math.max(1000, n), statusIntervalMs: Math.max(5000, n / 2) }))
  }
  const built = await liveHeap()
  if (args.snapshot !== undefined) console.error(`heap snapshot: ${writeHeapSnapshot(args.snapshot)}`)
  for (let p = 0; p < punches; p++) {
    now += 60_000
    for (let i = 0; i < n; i++) fleet[i].punch({ at: now, device: fleet[i].id, emp: `E${(i * 7 + p) % 60_000}`, kind: 'in', method: 'card' })
  }
  const punched = await liveHeap()
  console.log(JSON.stringify({
    devices: fleet.length,
    punches,
    builtBytesPerDevice: Math.round((built - base) / n),
    punchedBytesPerDevice: Math.round((punched - base) / n),
    ledgerEntries: ledger.size
  }))
}

async function scenario (name: string, scale: number, everyMin: number): Promise<void> {
  let s = namedScenario(name)
  if (scale !== 1) s = scaleScenario(s, { deviceFactor: scale, staffFactor: scale })
  const readings: Array<{ minute: number, mb: number }> = []
  let largest = 0
  const { report } = await runScenario(s, {
    connect: connectLite,
    transport: 'memory',
    onSample: (x) => {
      const minute = Math.round((x.at - s.startMs) / 60_000)
      if (minute % everyMin !== 0 || readings.some(r => r.minute === minute)) return
      // Synchronous collections (onSample is not awaited: the engine must not move on meanwhile); the
      // second takes what the first's weak callbacks and finalizers let go.
      fullGc()
      fullGc()
      const m = process.memoryUsage()
      const bytes = m.heapUsed + m.arrayBuffers
      readings.push({ minute, mb: Math.round(bytes / MB * 10) / 10 })
      if (args.snapshot !== undefined && minute === Number(args['snapshot-min'])) console.error(`heap snapshot: ${writeHeapSnapshot(args.snapshot)}`)
      largest = Math.max(largest, bytes)
    }
  })
  console.log(JSON.stringify({
    scenario: name,
    devices: report.devices,
    ok: report.ok,
    maxLiveMB: Math.round(largest / MB * 10) / 10,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    liveMBByVirtualMinute: Object.fromEntries(readings.map(r => [r.minute, r.mb]))
  }))
}

async function main (): Promise<void> {
  const mode = positionals[0]
  if (mode === 'devices') await devices(Number(args.devices), Number(args.punches))
  else if (mode === 'scenario') await scenario(args.name, Number(args.scale), Number(args['every-min']))
  else throw new Error('usage: sim-memory.js devices [--devices N] [--punches P] [--snapshot FILE] | scenario [--name NAME] [--scale F] [--every-min M] [--snapshot FILE --snapshot-min M]')
  // The scenario's pino destination and the engine's leftovers need not be waited for.
  process.exit(0)
}

main().catch((err: Error) => {
  console.error(err)
  process.exit(1)
})
