/**
 * Fault 1: the gateway process killed with SIGKILL at seeded random moments during a long ingest, again
 * and again, and restarted on the same data directory each time. Several device runtimes on file rings
 * punch all along; they keep what was not acknowledged and send it again. The upstream answers after a
 * random few milliseconds, so requests are in flight when a kill lands.
 *
 * The duplicate bound, per kill: a batch is formed with its Idempotency-Key in the same transaction that
 * moves the outbox cursor, and leaves the outbox only when the upstream's answer is committed
 * (forward-store.ts). A kill can therefore repeat only the batches in flight at that moment and those the
 * upstream took whose recording was not committed yet: at most forward.concurrency +
 * forward.unrecordedBatches of them of at most forward.batchSize punches each, and only under their own
 * keys; a punch a device sends again after a kill is stored once and not forwarded again. So: at most
 * (concurrency + unrecordedBatches) × batchSize copies per kill, and none under another key.
 */
import { waitUntil } from '../sim/hardware-mode/bounded-wait.js'
import { copiesUpstream, type Copies } from '../sim/engine/fate-reconcile.js'
import { RandomStream } from '../sim/workload/random.js'
import { GatewayKiller } from './gateway-killer.js'
import { DeviceFleet } from './load.js'
import { judge, reconcileRun } from './judge.js'
import { faultReport, type FaultReport } from './report.js'
import { FaultSite } from './site.js'

export interface GatewayKillOptions {
  seed: number
  kills: number
  devices: number
  /** each device punches once every this many ms */
  intervalMs: number
  /** the gateway runs this long before each kill, ms */
  upMs: [number, number]
  /** the upstream answers after up to this many ms */
  answerMs: number
  batchSize: number
  concurrency: number
  /** forward.unrecordedBatches: fewer than the default, so the bound per kill says something */
  unrecorded: number
}

export const GATEWAY_KILL: Record<'short' | 'long', Omit<GatewayKillOptions, 'seed'>> = {
  short: { kills: 3, devices: 4, intervalMs: 5, upMs: [500, 1200], answerMs: 30, batchSize: 100, concurrency: 2, unrecorded: 4 },
  long: { kills: 50, devices: 6, intervalMs: 5, upMs: [300, 2000], answerMs: 30, batchSize: 100, concurrency: 2, unrecorded: 4 }
}

interface Sample extends Copies { acked: number }

function median (xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)]
}

export async function gatewayKillFault (o: GatewayKillOptions, say: (line: string) => void = () => {}): Promise<FaultReport> {
  const started = performance.now()
  const site = new FaultSite('kill', { forward: { batchSize: o.batchSize, concurrency: o.concurrency, unrecordedBatches: o.unrecorded } })
  const answers = new RandomStream(o.seed, 'gateway-kill/answers')
  site.respond(() => ({ status: 200, delayMs: Math.floor(answers.between(0, o.answerMs)) }))
  let fleet: DeviceFleet | undefined
  try {
    const gw = await site.start()
    fleet = new DeviceFleet(Array.from({ length: o.devices }, (_, i) => `K-${i}`), { dir: site.dir, url: gw.mqttUrl, capacity: 5000, batchSize: 50, window: 2 })
    const devices = fleet
    await devices.start()
    devices.startLoad(o.intervalMs)
    const sample = (): Sample => ({ acked: devices.truth.acked, ...copiesUpstream(site.upstreamView()) })
    const killer = new GatewayKiller({
      gateway: gw,
      restart: async () => await site.startGateway(),
      kills: o.kills,
      random: new RandomStream(o.seed, 'gateway-kill/times'),
      upMs: o.upMs,
      downMs: [0, 200],
      sample,
      working: async () => {
        const acked = devices.truth.acked
        // Past 30 s the kill goes ahead anyway, and the check after the run says it missed the load.
        await waitUntil(() => devices.truth.acked > acked, { timeoutMs: 30_000, everyMs: 20 })
      }
    })
    const kills = await killer.killAndRestart()
    say(`gateway-kill: ${kills.length} kills done, draining`)
    await devices.stopLoad()
    const drained = await devices.drained(site.sink, 60_000)
    const end = sample()
    await devices.stop()
    await site.gateway?.stop()

    const r = reconcileRun(devices.truth, site.upstreamView())
    const perKill = (o.concurrency + o.unrecorded) * o.batchSize
    const problems = judge(r, { bound: kills.length * perKill })
    if (!drained) problems.push(`did not drain within 60 s: ${devices.pending()} punches unacknowledged on the devices`)
    const windows = kills.map((k, i) => {
      const next = kills[i + 1]?.before ?? end
      return { n: k.n, duplicates: next.duplicates - k.before.duplicates }
    })
    for (const w of windows) if (w.duplicates > perKill) problems.push(`kill ${w.n}: ${w.duplicates} duplicates, over ${perKill}`)
    for (const k of kills) if (k.crashed !== undefined) problems.push(`the gateway had exited by itself before kill ${k.n} (${String(k.crashed.code ?? k.crashed.signal)}): ${k.crashed.log}`)
    const under = kills.filter((k, i) => k.before.acked > (i === 0 ? 0 : kills[i - 1].before.acked)).length
    if (under < kills.length) problems.push(`only ${under} of ${kills.length} kills landed while punches were being acknowledged`)
    const hit = windows.filter(w => w.duplicates > 0)
    const notes = [
      `${kills.length} kills after ${Math.min(...kills.map(k => k.upMs))}-${Math.max(...kills.map(k => k.upMs))} ms up; ${o.devices} devices, ${devices.truth.size} punches taken`,
      `duplicates per kill: max ${Math.max(0, ...windows.map(w => w.duplicates))}, median ${median(windows.map(w => w.duplicates))}, ${hit.length} of ${kills.length} kills left any` +
        (hit.length > 0 ? ` (${hit.slice(0, 12).map(w => `#${w.n}: ${w.duplicates}`).join(', ')}${hit.length > 12 ? ', …' : ''})` : '')
    ]
    if (site.portsTaken > 0) notes.push(`${site.portsTaken} restarts found a port of the gateway taken meanwhile, and were tried again 500 ms later`)
    return faultReport('gateway-kill', kills.length, 'kills', r,
      { bound: kills.length * perKill, rule: `${perKill} per kill ((forward.concurrency ${o.concurrency} + forward.unrecordedBatches ${o.unrecorded}) × forward.batchSize ${o.batchSize}), all under the same Idempotency-Key` },
      performance.now() - started, problems, notes)
  } finally {
    await fleet?.stop()
    await site.close()
  }
}
