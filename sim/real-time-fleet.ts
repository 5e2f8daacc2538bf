/**
 * The first cut of `punchline sim`: a fleet of simulated terminals punching against a gateway through a
 * link that can go down, and at the end a reconciliation of every punch against what the upstream got.
 *
 * Self-contained mode embeds a gateway (its own SQLite file in a temp dir) and an upstream sink; with
 * `broker` set the devices talk to a remote gateway instead, and the reconciliation counts acks only.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { defaultConfig, upstreamFor } from '../gateway/config.js'
import { Gateway } from '../gateway/gateway.js'
import { LinkProxy } from '../fakes/link/netem.js'
import { Ledger, clean, formatReconciliation, type Reconciliation } from './ledger.js'
import { SimDevice } from './device.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { setTimeout as sleep } from 'node:timers/promises'
import { seededRandom } from './workload/seeded-random.js'

export interface SimOptions {
  devices: number
  punchesPerDevice: number
  /** mean time between two punches on one device */
  intervalMs: number
  /** the link between devices and gateway goes down at `atMs` after the start, for `forMs` */
  outage?: { atMs: number, forMs: number }
  ringCapacity: number
  policy?: 'refuse' | 'overwrite-oldest'
  /** give up waiting for the backlog to drain after this long */
  drainTimeoutMs: number
  /** remote mode: the devices connect here and no gateway or sink is embedded */
  broker?: string
  secrets?: Record<string, string>
  seed: number
  /** keep the temp dir (gateway db, logs) for inspection */
  keep?: boolean
  out: (line: string) => void
  progressMs?: number
}

export interface SimResult {
  reconciliation: Reconciliation
  clean: boolean
  elapsedMs: number
  dataDir?: string
}

export async function runRealTimeFleet (o: SimOptions): Promise<SimResult> {
  const started = Date.now()
  const random = seededRandom(o.seed)
  const dir = mkdtempSync(join(tmpdir(), 'punchline-sim-'))
  const log = pino({ level: process.env.PUNCHLINE_SIM_LOG_LEVEL ?? 'info' }, pino.destination({ dest: join(dir, 'sim.log'), sync: false }))
  const ledger = new Ledger()
  let sink: WebhookUpstream | undefined
  let gateway: Gateway | undefined
  let proxy: LinkProxy | undefined
  let url = o.broker ?? ''

  if (o.broker === undefined) {
    sink = new WebhookUpstream()
    const sinkUrl = await sink.start()
    const cfg = defaultConfig()
    cfg.dataDir = join(dir, 'gateway')
    cfg.mqtt = { ...cfg.mqtt, host: '127.0.0.1', port: 0 }
    cfg.http = { ...cfg.http, host: '127.0.0.1', port: 0 }
    cfg.allowAnonymous = true
    cfg.gatewayId = 'sim-gateway'
    cfg.upstream = { ...upstreamFor(sinkUrl), timeoutMs: 5000 }
    cfg.forward = { ...cfg.forward, lingerMs: 50 }
    gateway = new Gateway(cfg, { log: log.child({ part: 'gateway' }) })
    const { mqttPort } = await gateway.start()
    proxy = new LinkProxy({ host: '127.0.0.1', port: mqttPort })
    url = `mqtt://127.0.0.1:${await proxy.listen()}`
    o.out(`sim: embedded gateway on mqtt port ${mqttPort}, upstream sink ${sinkUrl}, logs in ${join(dir, 'sim.log')}`)
  }

  const devices: SimDevice[] = []
  for (let i = 0; i < o.devices; i++) {
    const id = `T-${String(i + 1).padStart(4, '0')}`
    devices.push(new SimDevice({
      id,
      url,
      secret: o.secrets?.[id],
      capacity: o.ringCapacity,
      policy: o.policy,
      ledger,
      log: log.child({ device: id }),
      random,
      tz: 480
    }))
  }
  for (const d of devices) d.start()

  const progress = setInterval(() => {
    const pending = devices.reduce((n, d) => n + d.pending, 0)
    o.out(`sim: t=${((Date.now() - started) / 1000).toFixed(1)}s generated=${ledger.size} acked=${ledger.count('acked')} ` +
      `pending-on-devices=${pending} delivered=${sink?.received.size ?? '-'} link=${proxy?.down === true ? 'DOWN' : 'up'}`)
  }, o.progressMs ?? 1000)

  // Punch schedule: each device punches punchesPerDevice times, spaced by intervalMs with jitter.
  const outage = o.outage
  let outageTimers: NodeJS.Timeout[] = []
  if (outage !== undefined && proxy !== undefined) {
    const p = proxy
    outageTimers = [
      setTimeout(() => { p.cut(); o.out('sim: link DOWN (site outage begins)') }, outage.atMs),
      setTimeout(() => { p.restore(); o.out('sim: link up (site outage ends)') }, outage.atMs + outage.forMs)
    ]
  }
  const punching = devices.map(async (d) => {
    for (let k = 0; k < o.punchesPerDevice; k++) {
      await sleep(o.intervalMs * (0.5 + random()))
      d.punch(Date.now())
    }
  })
  await Promise.all(punching)
  if (outage !== undefined) {
    const end = started + outage.atMs + outage.forMs
    if (Date.now() < end) await sleep(end - Date.now())
  }

  // Drain: every device empty and, self-contained, every acked punch upstream.
  const deadline = Date.now() + o.drainTimeoutMs
  while (Date.now() < deadline) {
    const pending = devices.reduce((n, d) => n + d.pending, 0)
    const upstreamDone = sink === undefined || ledger.count('acked') <= sink.received.size
    if (pending === 0 && upstreamDone) break
    await sleep(100)
  }
  clearInterval(progress)
  for (const t of outageTimers) clearTimeout(t)
  await Promise.all(devices.map(async d => await d.stop()))
  if (gateway !== undefined) await gateway.stop()
  await proxy?.close()
  await sink?.close()

  const late = new Set<string>()
  if (sink !== undefined) for (const [id, p] of sink.punches) if (p.flags.includes('late-sync') || p.flags.includes('expired')) late.add(id)
  // In remote mode the upstream is not ours to see: only the devices' side is reconciled.
  const reconciliation = ledger.reconcile(sink?.received, late)
  const result: SimResult = {
    reconciliation,
    clean: sink !== undefined ? clean(reconciliation) : reconciliation.pendingOnDevices === 0,
    elapsedMs: Date.now() - started
  }
  o.out('\nreconciliation:\n' + formatReconciliation(reconciliation))
  log.flush()
  if (o.keep === true) { result.dataDir = dir; o.out(`sim: kept ${dir}`) } else rmSync(dir, { recursive: true, force: true })
  return result
}
