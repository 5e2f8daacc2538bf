/**
 * Runs a scenario: plans every punch, builds the world (gateway, upstream, site links) and the fleet,
 * then walks virtual time step by step — faults due, punches due, then wait (real time, bounded) until
 * what can move has moved — and at the end drains, and reconciles every punch against the upstream.
 *
 * Settling before each step is what makes virtual time honest: a device that could upload has uploaded
 * before the clock moves on, so what a punch's lateness and flags say is what the scenario made happen,
 * not how busy this machine was.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import type { Logger } from '../../shared/log.js'
import type { UplinkOptions } from '../../device/uplink.js'
import { seededRandom } from '../workload/seeded-random.js'
import { planPunches } from '../workload/plan.js'
import type { DeviceSelector, FaultSpec, PlannedPunch, Scenario } from '../scenario/types.js'
import { scenarioDevices, selectDevices } from '../scenario/devices.js'
import type { SimReportData, SimSample } from '../report/types.js'
import { VirtualClock } from './virtual-clock.js'
import { FateLedger } from './fate-ledger.js'
import { ackedAsDelivered, reconcileFates } from './fate-reconcile.js'
import { FleetDevice } from './fleet-device.js'
import { World } from './world.js'
import { faultLabel, faultLength, flappingDown, timeline, type Transition } from './faults.js'
import { buildChecks } from './checks.js'
import { bringOnline } from './bring-online.js'

export interface EngineOptions {
  /** real ms to wait for the system to settle after each step before moving on anyway */
  settleMs?: number
  /** virtual ms the drain after the scenario may take at most */
  drainMs?: number
  /** keep the temp dir (gateway db, logs) */
  keep?: boolean
  /** a sample after every step */
  onSample?: (s: SimSample) => void
  /** how devices reach MQTT (the simulator's light client for large fleets) */
  connect?: UplinkOptions['connect']
  log?: Logger
  /** remote mode: a site's real gateway (mqtt://host:port), with each device's secret */
  remote?: { url: string, secrets: Record<string, string> }
  /** site links as in-process streams (large fleets; implies the light client) or TCP (default) */
  transport?: 'tcp' | 'memory'
}

/** Larger fleets start in waves of this many connecting devices, and the clock waits until all are online. */
const START_WAVE = 200
/** real time the fleet may take to come online before the run starts anyway */
const ONLINE_WAIT_MS = 10 * 60_000

/** Faults only an embedded gateway and upstream can play. */
const EMBEDDED_ONLY = new Set(['gateway-restart', 'upstream-outage', 'poison-record'])

export interface EngineResult {
  report: SimReportData
  dir?: string
}

function selected (byId: ReadonlyMap<string, FleetDevice>, s: Scenario, sel: DeviceSelector): FleetDevice[] {
  return selectDevices(s, sel).map(d => byId.get(d.id)!)
}

export async function runScenario (s: Scenario, o: EngineOptions = {}): Promise<EngineResult> {
  const realStart = Date.now()
  const dir = mkdtempSync(join(tmpdir(), 'punchline-sim-'))
  const log = o.log ?? pino({ level: process.env.PUNCHLINE_SIM_LOG_LEVEL ?? 'warn' }, pino.destination({ dest: join(dir, 'sim.log'), sync: false }))
  const clock = new VirtualClock(s.startMs)
  const random = seededRandom(s.seed)
  const ledger = new FateLedger()
  const plan = planPunches(s)
  const ids = scenarioDevices(s)
  const prefixes = new Map<string, string[]>()
  for (const site of s.sites) prefixes.set(site.id, [...new Set(site.devices.map(g => g.prefix))])

  let remote: { host: string, port: number } | undefined
  if (o.remote !== undefined) {
    const u = new URL(o.remote.url)
    if (u.protocol !== 'mqtt:') throw new Error('remote mode: the broker URL must be mqtt://HOST:PORT (the site links are plain TCP)')
    const kinds = s.faults.filter(f => EMBEDDED_ONLY.has(f.kind)).map(f => f.kind)
    if (kinds.length > 0) throw new Error(`remote mode: ${[...new Set(kinds)].join(', ')} need the embedded gateway and upstream; run the scenario without --broker`)
    remote = { host: u.hostname, port: Number(u.port === '' ? 1883 : u.port) }
    if (o.transport === 'memory') throw new Error('remote mode: the devices reach a real gateway over TCP; the in-process transport needs the embedded one')
  }
  const world = new World({ scenario: s, dir, now: clock.now, log, prefixes, remote, transport: o.transport })
  await world.start()
  // Power cuts tear a write on the medium: the devices they hit get file rings, the rest live in memory.
  const cut = new Set<string>()
  for (const f of s.faults) if (f.kind === 'power-cut') for (const d of selectDevices(s, f.select)) cut.add(d.id)
  // Backoff is real time. A device retrying every second is quick to come back after an outage; ten
  // thousand of them are 20,000 refused connects a second while it lasts, enough to keep the one thread that
  // runs the whole simulation busy with nothing else.
  // The cap grows with the fleet so that retries stay near 2,000 a second in all.
  const backoffCapMs = Math.max(1000, ids.length)
  // Statuses too: every 5 s real from each device, but no more than 2,000 a second from the fleet.
  const statusIntervalMs = Math.max(5000, ids.length / 2)
  const devices = ids.map(({ id, site, group }) => {
    const link = world.deviceLink(site.id)
    return new FleetDevice({
      id,
      site: site.id,
      group,
      tz: site.tz,
      url: link.url,
      ringFile: cut.has(id) ? join(dir, `ring-${id}.bin`) : undefined,
      secret: o.remote?.secrets[id],
      virtualNow: clock.now,
      ledger,
      log: log.child({ device: id }),
      random,
      connect: link.connect ?? o.connect,
      backoffCapMs,
      statusIntervalMs
    })
  })
  const byId = new Map(devices.map(d => [d.id, d]))

  const settleMs = o.settleMs ?? 3000
  const transitions = timeline(s.faults, s.startMs)
  const active = new Map<number, FaultSpec>()
  const samples: SimSample[] = []
  let ti = 0
  let pi = 0

  const quiet = (): boolean => {
    // Embedded and down: nothing can move. Remote: the devices tell whether their gateway took everything.
    if (!world.gatewayUp && !world.remote) return true
    for (const d of devices) {
      if (!d.powered || world.links.get(d.site)!.down) continue
      if (d.pending > 0) return false
    }
    return world.upstreamDownStatus !== undefined || !world.gatewayBacklog()
  }
  // quiet() walks the fleet: poll a large one less often, so that polling stays a small part of the work.
  const pollMs = Math.max(5, Math.ceil(devices.length / 200))
  const settle = async (): Promise<void> => {
    const deadline = Date.now() + settleMs
    await sleep(1)
    while (!quiet() && Date.now() < deadline) await sleep(pollMs)
  }
  const measure = (): SimSample => {
    let pendingOnDevices = 0
    let connected = 0
    for (const d of devices) { pendingOnDevices += d.pending; if (d.uplink.connected) connected++ }
    // Remote: what the gateway acknowledged is as far as the simulator can see.
    const delivered = world.remote ? ledger.acked : world.sink.received.size
    const x: SimSample = {
      at: clock.now(),
      realMs: Date.now() - realStart,
      generated: ledger.attempted,
      pendingOnDevices,
      pendingAtGateway: Math.max(0, ledger.acked - delivered),
      delivered,
      refused: ledger.refused + ledger.torn,
      overwritten: ledger.overwritten,
      connected,
      faults: [...active.values()].map(faultLabel)
    }
    return x
  }
  const sample = (): void => {
    const x = measure()
    samples.push(x)
    o.onSample?.(x)
  }
  const apply = async (tr: Transition): Promise<void> => {
    const f = tr.fault
    if (tr.edge === 'start') active.set(tr.index, f)
    else active.delete(tr.index)
    const starting = tr.edge === 'start'
    switch (f.kind) {
      case 'site-outage': { const l = world.links.get(f.site)!; if (starting) l.cut(); else l.restore(); break }
      case 'latency': world.links.get(f.site)!.latency(starting ? f.latencyMs : 0, starting ? f.jitterMs : 0); break
      case 'flapping': if (!starting) world.links.get(f.site)!.restore(); break
      case 'upstream-outage': world.upstreamDownStatus = starting ? f.status : undefined; break
      case 'gateway-restart': if (starting) await world.stopGateway(f.crash); else await world.startGateway(); break
      case 'power-cut':
        for (const d of selected(byId, s, f.select)) { if (starting) await d.powerCut(f.tornWrite); else d.powerOn() }
        break
      case 'rtc-loss': for (const d of selected(byId, s, f.select)) await d.rtcLoss(); break
      case 'clock-jump': for (const d of selected(byId, s, f.select)) d.jumpClock(f.byMs); break
      case 'gps-spoof': for (const d of selected(byId, s, f.select)) d.spoofNext(f.km); break
      case 'poison-record': for (const d of selected(byId, s, f.select)) d.poisonNext(); break
      case 'thundering-herd': for (const l of world.links.values()) { if (!l.down) { l.cut(); l.restore() } } break
    }
  }
  const flap = (t: number): void => {
    for (const f of active.values()) {
      if (f.kind !== 'flapping') continue
      const l = world.links.get(f.site)!
      if (flappingDown(f, s.startMs, t)) l.cut(); else l.restore()
    }
  }
  const punchDue = (t: number): void => {
    for (; pi < plan.length && plan[pi].at <= t; pi++) {
      const p: PlannedPunch = plan[pi]
      const d = byId.get(p.device)
      if (d === undefined) throw new Error(`the plan names a device the scenario has not: ${p.device}`)
      const id = d.punch(p)
      if (id !== undefined && d.poisoned.at(-1) === id) world.poison.add(id)
    }
  }

  // The site's life starts with its devices online; a large fleet comes up in waves, as after an install.
  await bringOnline(devices, { wave: START_WAVE, timeoutMs: ONLINE_WAIT_MS, poll: () => o.onSample?.(measure()) })

  const end = s.startMs + s.durationMs
  // The last step lands on the end even when the length is not a whole number of steps: the plan runs
  // to the end, and a punch after the last whole step would otherwise never be made nor counted.
  for (let t = s.startMs; ; t = Math.min(t + s.stepMs, end)) {
    clock.advanceTo(t)
    for (; ti < transitions.length && transitions[ti].at <= t; ti++) await apply(transitions[ti])
    flap(t)
    punchDue(t)
    await settle()
    sample()
    if (t >= end) break
  }
  // Drain: every fault over, let what is left reach the upstream, virtual time still moving.
  for (; ti < transitions.length; ti++) if (transitions[ti].edge === 'end') await apply(transitions[ti])
  for (const l of world.links.values()) l.restore()
  const drainEnd = clock.now() + (o.drainMs ?? 24 * 3_600_000)
  for (let t = clock.now() + s.stepMs; t <= drainEnd && !quiet(); t += s.stepMs) {
    clock.advanceTo(t)
    await settle()
    sample()
  }

  const onDevices = new Set<string>()
  for (const d of devices) if (d.powered) for (const id of d.pendingIds()) onDevices.add(id)
  const holds = { ...world.gatewayHolds(), onDevices }
  // Remote: the upstream is not ours to see; a punch the gateway acknowledged counts as delivered.
  const up = world.remote ? ackedAsDelivered(ledger) : world.upstreamView()
  const rec = reconcileFates(ledger, up, holds)
  await Promise.all(devices.map(async d => await d.stop().catch(() => {})))
  await world.close()
  const poisoned = devices.reduce((n, d) => n + d.poisoned.length, 0)
  // Remote: the flags are the remote gateway's business and the simulator does not see them.
  const checks = buildChecks(s, rec.fates, rec.flags, poisoned, rec.altered).filter(c => !(world.remote && c.what.startsWith('punches flagged')))
  const report: SimReportData = {
    scenario: s.name,
    description: s.description,
    seed: s.seed,
    startMs: s.startMs,
    endMs: clock.now(),
    realMs: Date.now() - realStart,
    devices: devices.length,
    sites: s.sites.length,
    samples,
    fates: rec.fates,
    lateness: rec.lateness,
    flags: rec.flags,
    checks,
    unexplainedIds: rec.unexplainedIds,
    ok: checks.every(c => c.ok),
    tzMinutes: s.sites[0]?.tz ?? 0,
    faultWindows: s.faults.map(f => ({ kind: f.kind, fromMs: s.startMs + f.atMs, toMs: s.startMs + f.atMs + faultLength(f), label: faultLabel(f) }))
  }
  log.flush?.()
  if (o.keep !== true) rmSync(dir, { recursive: true, force: true })
  return { report, dir: o.keep === true ? dir : undefined }
}
