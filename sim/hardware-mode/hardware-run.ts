/**
 * `punchline sim --hardware KINDS`: a real `punchline device` reading fake hardware on PTYs, against the
 * real gateway embedded here, judged by what reached the upstream.
 *
 * The order matters and is the one a site follows: gateway and upstream up, the device registered, the
 * cables plugged in, the device started on its config (or, with --external, started by the engineer), the
 * device's ends of the PTYs open, only then the fakes' ends (serialport flushes a line on open), then the
 * reads. Everything started here is stopped here, on success, failure or Ctrl-C, and the temp dir goes
 * unless --keep.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { namedScenario } from '../scenario/library.js'
import { loadScenario } from '../scenario/parse.js'
import { seededRandom } from '../workload/seeded-random.js'
import { waitUntil } from './bounded-wait.js'
import { CredentialBook } from './credentials.js'
import { DeviceChild } from './device-child.js'
import { sameCredentialGapMs, writeDeviceConfig } from './device-config.js'
import { EmbeddedGateway } from './embedded-gateway.js'
import { FakeRdm6300Reader, FakeWiegandReader, type FakeReader } from './fake-reader.js'
import { FakeGpsPart } from './gps-part.js'
import { LineFaults, LineTally } from './line-faults.js'
import type { HardwareOptions } from './options.js'
import { play, type PlayResult } from './player.js'
import { canSeePortHolders, portOpenedByDevice } from './port-holders.js'
import { FakeR307Reader } from './r307-reader.js'
import { planHardwareReads } from './read-plan.js'
import { reconcile } from './reconcile.js'
import { SerialCable } from './serial-cable.js'
import { formatHardwareSummary, writeHardwareReport } from './summary.js'

/** Without --scenario or --file: a plain week at one site. */
export const DEFAULT_SCENARIO = 'normal-week'
const DEVICE_START_MS = 30_000
const EXTERNAL_WAIT_MS = 10 * 60_000
/** After the last read: the device uploads, the gateway forwards; far more than that takes, so only a stuck part reaches it. */
const DRAIN_MS = 30_000
/** and a little longer, so a late duplicate or phantom punch is seen too */
const SETTLE_MS = 1000

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 }

export async function runHardwareMode (o: HardwareOptions, out: (line: string) => void): Promise<number> {
  let s = o.file !== undefined ? loadScenario(o.file) : namedScenario(o.scenario ?? DEFAULT_SCENARIO)
  if (o.seed !== undefined) s = { ...s, seed: o.seed }
  const plan = planHardwareReads(s, { device: o.device, reads: o.reads, gps: o.gps })
  const book = new CredentialBook(o.reader, plan.people)
  const deviceId = plan.device.id

  const abort = new AbortController()
  let exitCode = 0
  const onSignal = (sig: NodeJS.Signals): void => {
    // A second Ctrl-C means now: the cleanup is taking too long for whoever is waiting.
    if (abort.signal.aborted) process.exit(SIGNAL_EXIT[sig] ?? 1)
    exitCode = SIGNAL_EXIT[sig] ?? 1
    out(`\nhardware: ${sig}: stopping the device, the fakes and the gateway (again to quit at once)`)
    abort.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  // Output piped into `head` that has had enough: a reason to stop and clean up, not to crash and leave
  // socat and the device running. Left attached: writes after the cleanup fail the same way.
  process.stdout.on('error', () => {
    if (abort.signal.aborted) return
    exitCode = 1
    abort.abort()
  })

  const dir = mkdtempSync(join(tmpdir(), 'punchline-hw-'))
  const ptyDir = o.ptyDir === undefined ? dir : resolve(o.ptyDir)
  const log = pino({ level: process.env.PUNCHLINE_SIM_LOG_LEVEL ?? 'info' }, pino.destination({ dest: join(dir, 'sim.log'), sync: false }))
  const gateway = new EmbeddedGateway(dir, log.child({ part: 'gateway' }))
  const cables: SerialCable[] = []
  let child: DeviceChild | undefined
  let reader: FakeReader | undefined
  let gps: FakeGpsPart | undefined
  try {
    mkdirSync(ptyDir, { recursive: true })
    const secret = await gateway.start(deviceId)
    const random = seededRandom(s.seed)
    const tally = new LineTally()
    const readerCable = await SerialCable.plugIn(ptyDir, o.reader)
    cables.push(readerCable)
    reader = o.reader === 'r307'
      ? new FakeR307Reader(readerCable, { capacity: book.maxTemplateId + 1, random, tally, signal: abort.signal })
      : o.reader === 'wiegand' ? new FakeWiegandReader(readerCable, random, tally) : new FakeRdm6300Reader(readerCable, random, tally)
    if (o.gps) {
      const gpsCable = await SerialCable.plugIn(ptyDir, 'gps')
      cables.push(gpsCable)
      gps = new FakeGpsPart(gpsCable, random, tally)
    }
    const config = writeDeviceConfig({
      dir,
      deviceId,
      secret,
      brokerUrl: gateway.mqttUrl,
      reader: { kind: o.reader, path: readerCable.devicePath, maxTemplateId: book.maxTemplateId },
      gpsPath: gps?.cable.devicePath,
      capacity: plan.reads.length * 2,
      tz: plan.device.site.tz
    })
    const parts = [o.reader, ...(o.gps ? ['gps'] : [])]
    out(`hardware: ${deviceId} of ${s.name} (seed ${s.seed}): ${parts.join(' + ')}, ${plan.reads.length} of ${plan.available} planned reads, ` +
      `one every ${o.everyMs} ms, line faults ${o.lineFaults}${o.unplugEvery !== undefined ? `, unplug every ${o.unplugEvery}` : ''}`)
    if (plan.makeupsLeftOut > 0) out(`hardware: ${plan.makeupsLeftOut} make-up punches of ${deviceId} left out: they are typed in, not read`)
    if (s.faults.length > 0) out(`hardware: the scenario's ${s.faults.length} fault(s) are not played: here the faults are the line's (--line-faults, --unplug-every)`)
    out(`hardware: gateway ${gateway.mqttUrl} (device registered with a secret), upstream ${gateway.sink.url}, temp dir ${dir}`)

    const seeProc = canSeePortHolders()
    const devicePaths = cables.map(c => c.devicePath)
    if (o.external) {
      out('hardware: waiting for your device (up to 10 min). Run it with:')
      out(`  punchline device --config ${config}`)
      for (const c of cables) out(`  ${c.name.padEnd(8)} device end ${c.devicePath}   (the fake holds ${c.fakePath})`)
      const ready = (): boolean => gateway.connected(deviceId) && (!seeProc || devicePaths.every(p => portOpenedByDevice(p)))
      if (!await waitUntil(ready, { timeoutMs: EXTERNAL_WAIT_MS, everyMs: 250, signal: abort.signal })) {
        throw new Error(`--external: no device ${deviceId} connected to ${gateway.mqttUrl} with its ports open within 10 min; ` +
          `run punchline device --config ${config} while this waits`)
      }
      out('hardware: your device is connected and has its ports open')
    } else {
      const c = child = new DeviceChild(config, join(dir, 'device.log'))
      const pids = (): number[] => c.pid === undefined ? [] : [c.pid]
      const ready = (): boolean => !c.alive || (c.running && gateway.connected(deviceId) && (!seeProc || devicePaths.every(p => portOpenedByDevice(p, pids()))))
      const inTime = await waitUntil(ready, { timeoutMs: DEVICE_START_MS, signal: abort.signal })
      if (!c.alive) throw new Error(`the device exited (status ${await c.exited}) before it was ready:\n${c.tail}`)
      if (!inTime) throw new Error(`the device was not connected with its ports open within ${DEVICE_START_MS / 1000} s:\n${c.tail}`)
      out(`hardware: punchline device running (pid ${c.pid}), connected, its ports open: ${devicePaths.join(', ')}`)
    }
    await reader.connect()
    await gps?.connect()

    const faults = new LineFaults(o.lineFaults, random)
    const delivered = (): number => gateway.delivered(deviceId).length
    const r = reader
    const result: PlayResult = await play(plan.reads, {
      reader: r,
      gps,
      book,
      faults,
      everyMs: o.everyMs,
      unplugEvery: o.unplugEvery,
      sameCredentialGapMs,
      delivered,
      taken: () => child === undefined ? delivered() : child.counters.accepted + child.counters.duplicateReads + child.counters.refused,
      deviceHasPort: seeProc ? () => portOpenedByDevice(r.cable.devicePath, child?.pid === undefined ? undefined : [child.pid]) : undefined,
      deviceAlive: () => child === undefined || child.alive,
      signal: abort.signal,
      out
    })
    const all = result.presented.length
    if (!await waitUntil(() => delivered() >= all, { timeoutMs: DRAIN_MS, signal: abort.signal })) {
      out(`hardware: ${delivered()} of ${all} reads upstream after waiting ${DRAIN_MS / 1000} s`)
    }
    await sleep(SETTLE_MS, undefined, { signal: abort.signal })
    if (child !== undefined) {
      const status = await child.stop()
      if (status !== 0) out(`hardware: the device exited with status ${status}; its last lines:\n${child.tail}`)
    }
    const upstream = gateway.delivered(deviceId)
    const rec = reconcile(deviceId, result.presented, upstream)
    const facts = {
      scenario: s.name,
      seed: s.seed,
      parts,
      everyMs: o.everyMs,
      lineFaults: o.lineFaults,
      faultCounts: faults.counts,
      sent: { badFrames: tally.badFrames, noiseBytes: tally.noiseBytes },
      unplugs: result.unplugs,
      device: child?.counters,
      unfinishedTouches: r instanceof FakeR307Reader ? r.unfinishedTouches : undefined,
      stopped: result.stopped
    }
    out('')
    out(formatHardwareSummary(rec, facts))
    if (o.report !== undefined) out(`report: ${writeHardwareReport(o.report, rec, facts, { presented: result.presented, delivered: upstream.map(d => d.punch) })}`)
    if (o.external) out('hardware: done; stop your device now (Ctrl-C): its gateway is going away')
    return exitCode !== 0 ? exitCode : rec.exact ? 0 : 1
  } catch (err) {
    if (!abort.signal.aborted) throw err
    return exitCode
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await child?.stop().catch(() => null)
    await reader?.disconnect().catch(() => {})
    await gps?.disconnect().catch(() => {})
    for (const c of cables) await c.unplug().catch(() => {})
    await gateway.stop().catch(() => {})
    log.flush()
    if (o.keep === true) out(`kept: ${dir} (device.json, device.log, ring.bin, gateway database, sim.log)`)
    else rmSync(dir, { recursive: true, force: true })
  }
}
