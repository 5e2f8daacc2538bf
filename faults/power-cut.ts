/**
 * Fault 2: a device's power cut in the middle of its writes, again and again. The device (a real runtime
 * on a file ring, uploading to a real gateway, in a child process: device-writer.ts) is killed with
 * SIGKILL at seeded random moments, some while it is still opening its ring; some cuts also tear the
 * record being written (torn-write.ts). Each time it starts again on the same ring file. At the end the
 * device runs once more until its ring is drained.
 *
 * The reconciliation here is about the person at the reader: every punch the device confirmed before a
 * cut reaches the upstream with the content it was taken with (a seq given to two punches would show as
 * one of them altered or lost), and seqs keep increasing across cuts. Only the append in progress at a
 * cut may be missing, or arrive upstream without having been confirmed. No gateway fault, an upstream
 * that answers at once: no duplicate is allowed, since a punch sent again after a cut is stored once.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { punchId } from '../shared/punch.js'
import { FateLedger } from '../sim/engine/fate-ledger.js'
import { RandomStream } from '../sim/workload/random.js'
import { runUntilCut } from './cut-child.js'
import { DeviceFleet, faultDeviceConfig, type FleetDeviceOptions } from './load.js'
import { judge, reconcileRun } from './judge.js'
import { faultReport, type FaultReport } from './report.js'
import { FaultSite } from './site.js'
import { slotOnDisk, tear } from './torn-write.js'

export interface PowerCutOptions {
  seed: number
  cuts: number
  /** the device runs this long after its ring is open before the cut, ms */
  upMs: [number, number]
  /** every this many cuts, the cut comes while the device is still starting (0 to 400 ms after launch) */
  earlyEvery: number
  /** every this many cuts, the record being written is torn */
  tearEvery: number
  capacity: number
}

export const POWER_CUT: Record<'short' | 'long', Omit<PowerCutOptions, 'seed'>> = {
  short: { cuts: 4, upMs: [50, 600], earlyEvery: 4, tearEvery: 2, capacity: 500 },
  long: { cuts: 60, upMs: [20, 1500], earlyEvery: 5, tearEvery: 3, capacity: 500 }
}

const DEVICE = 'P-0'
/** The child: built JavaScript when there is some (it starts in a fraction of tsx's time), else the source through tsx. */
function writerScript (): string {
  for (const rel of ['./device-writer.js', '../dist/faults/device-writer.js']) {
    const file = fileURLToPath(new URL(rel, import.meta.url))
    if (existsSync(file)) return file
  }
  return fileURLToPath(new URL('./device-writer.ts', import.meta.url))
}

export async function powerCutFault (o: PowerCutOptions, say: (line: string) => void = () => {}): Promise<FaultReport> {
  const started = performance.now()
  const site = new FaultSite('power-cut')
  const random = new RandomStream(o.seed, 'power-cut')
  const truth = new FateLedger()
  const problems: string[] = []
  let fleet: DeviceFleet | undefined
  try {
    const gw = await site.start()
    const device: FleetDeviceOptions = { dir: site.dir, url: gw.mqttUrl, capacity: o.capacity, batchSize: 20, window: 2 }
    const configFile = join(site.dir, 'device.json')
    writeFileSync(configFile, JSON.stringify(faultDeviceConfig(DEVICE, device)))
    const ring = join(site.dir, `ring-${DEVICE}.bin`)
    const writer = writerScript()
    let epoch: string | undefined
    let last = 0
    let torn = 0
    let early = 0
    for (let cut = 1; cut <= o.cuts; cut++) {
      const fromStart = cut % o.earlyEvery === 0
      if (fromStart) early++
      const delay = Math.round(fromStart ? random.between(0, 400) : random.between(o.upMs[0], o.upMs[1]))
      const run = await runUntilCut(writer, [configFile, String(cut)], delay, fromStart)
      if (run.signal !== 'SIGKILL') {
        problems.push(`cut ${cut}: the device ended by itself (${String(run.code)}): ${run.stderr.slice(-500)}`)
        break
      }
      const ready = run.lines[0]?.startsWith('ready ') === true ? run.lines[0].slice(6) : undefined
      if (ready !== undefined) {
        if (epoch !== undefined && ready !== epoch) problems.push(`cut ${cut}: the ring came back with epoch ${ready}, not ${epoch}: it was reformatted`)
        epoch ??= ready
      }
      const punches = run.lines.filter(l => l.startsWith('{')).map(l => JSON.parse(l) as { seq: number, emp: string })
      // After the last confirmed seq comes at most the unconfirmed append in progress, then this run's first.
      for (const [i, p] of punches.entries()) {
        const before = i === 0 ? last : punches[i - 1].seq
        const ok = i === 0 ? p.seq > before && p.seq <= before + 2 : p.seq === before + 1
        if (!ok) problems.push(`cut ${cut}: seq ${p.seq} follows ${before}`)
        truth.taken(punchId(DEVICE, epoch ?? '?', p.seq), Date.now(), p.emp)
      }
      if (punches.length > 0) last = punches[punches.length - 1].seq
      if (epoch !== undefined && cut % o.tearEvery === 0) {
        const slot = slotOnDisk(ring, o.capacity, epoch, last + 1)
        if (slot >= 0) { tear(ring, slot); torn++ }
      }
    }
    say(`power-cut: ${o.cuts} cuts done, draining the ring`)
    fleet = new DeviceFleet([DEVICE], device)
    await fleet.start()
    const drained = await fleet.drained(site.sink, 60_000)
    const delivered = await site.sink.waitFor(() => [...truth.ids()].every(id => site.sink.received.has(id)), 30_000).then(() => true, () => false)
    if (!drained) problems.push(`the ring did not drain within 60 s: ${fleet.pending()} punches unacknowledged`)
    const ringStats = fleet.devices[0].ring.stats()
    await fleet.stop()
    await site.gateway?.stop()

    const r = reconcileRun(truth, site.upstreamView(), { must: 'taken' })
    problems.push(...judge(r, { bound: 0, unexpected: o.cuts }))
    if (!delivered && r.lost === 0) problems.push('the upstream did not receive every confirmed punch in time')
    if (ringStats.corrupt > torn + o.cuts) problems.push(`${ringStats.corrupt} damaged records in the ring, ${torn} torn on purpose`)
    const notes = [
      `${o.cuts} cuts (${early} while starting), ${torn} in-progress records torn; ${truth.size} punches confirmed to the person, seqs 1-${last}`,
      `${r.unexpected} appends in progress at a cut, never confirmed, reached the upstream anyway; ${ringStats.corrupt} damaged records skipped by the ring at its last start`
    ]
    return faultReport('power-cut', o.cuts, 'cuts', r, { bound: 0, rule: '0 (the device resends what was not acknowledged; the gateway stores it once)' },
      performance.now() - started, problems, notes)
  } finally {
    await fleet?.stop()
    await site.close()
  }
}
