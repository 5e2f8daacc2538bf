/**
 * Fault 4b: the gateway finds its database damaged at start (a dying SD card, a disk that lied about
 * fsync), again and again. Each run: devices punch while the upstream is down, so the gateway holds
 * acknowledged punches it has not delivered; the gateway stops; its file is damaged in one of several ways
 * (seeded); it starts again. It must move the file aside and start empty (gateway/life/database.ts), and ask the
 * devices to resend what their rings still hold (restore-resend.ts). The acknowledged punches the damaged
 * file took with it come back only that way.
 *
 * Duplicates: the new file does not know what was delivered before, so the punches the rings send again
 * reach the upstream a second time, under new keys, with the same punch ids (PROTOCOL.md, "after a
 * restore"). A resend asks for at most a ring's capacity around the highest seq stored, so per damaged
 * file at most devices × ring capacity.
 */
import { openSync, closeSync, fstatSync, ftruncateSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { RandomStream } from '../sim/workload/random.js'
import { DeviceFleet } from './load.js'
import { judge, reconcileRun } from './judge.js'
import { faultReport, type FaultReport } from './report.js'
import { FaultSite } from './site.js'

export const DAMAGES = ['garbage', 'header', 'pages', 'truncated'] as const
export type Damage = typeof DAMAGES[number]

export interface CorruptDbOptions {
  seed: number
  runs: number
  /** the damages, in turn */
  damages: readonly Damage[]
  devices: number
  capacity: number
  /** how long the devices punch with the upstream up, then down, before each stop, ms */
  upMs: number
  downMs: number
}

export const CORRUPT_DB: Record<'short' | 'long', Omit<CorruptDbOptions, 'seed'>> = {
  // The whole file overwritten is test/gateway-corrupt-resend.test.ts's case; the short run takes a subtler one.
  short: { runs: 1, damages: ['pages'], devices: 2, capacity: 2000, upMs: 500, downMs: 500 },
  long: { runs: 12, damages: DAMAGES, devices: 3, capacity: 2000, upMs: 1500, downMs: 1500 }
}

const PAGE = 4096

/** Damages the file as `how` says; returns what was done, for the report. */
export function damage (file: string, how: Damage, random: RandomStream): string {
  const fd = openSync(file, 'r+')
  try {
    const size = fstatSync(fd).size
    switch (how) {
      case 'garbage':
        writeSync(fd, Buffer.alloc(size, 0x5a), 0, size, 0)
        return `${size} bytes of garbage`
      case 'header':
        writeSync(fd, Buffer.alloc(100), 0, 100, 0)
        return 'the 100-byte header zeroed'
      case 'pages': {
        const pages = Math.floor(size / PAGE)
        const hit = new Set<number>()
        for (let i = 0; i < 3 && pages > 1; i++) hit.add(1 + Math.floor(random.uniform() * (pages - 1)))
        const noise = Buffer.alloc(PAGE)
        for (const p of hit) {
          for (let b = 0; b < PAGE; b++) noise[b] = Math.floor(random.uniform() * 256)
          writeSync(fd, noise, 0, PAGE, p * PAGE)
        }
        return `pages ${[...hit].sort((a, b) => a - b).map(p => p + 1).join(', ')} of ${pages} overwritten with noise`
      }
      case 'truncated':
        ftruncateSync(fd, Math.floor(size / PAGE / 2) * PAGE)
        return `cut from ${size} to ${Math.floor(size / PAGE / 2) * PAGE} bytes`
    }
  } finally { closeSync(fd) }
}

export async function corruptDbFault (o: CorruptDbOptions, say: (line: string) => void = () => {}): Promise<FaultReport> {
  const started = performance.now()
  const site = new FaultSite('corrupt')
  const random = new RandomStream(o.seed, 'corrupt-db')
  let upstreamUp = true
  site.respond(() => ({ status: upstreamUp ? 200 : 503 }))
  let fleet: DeviceFleet | undefined
  try {
    let gw = await site.start()
    fleet = new DeviceFleet(Array.from({ length: o.devices }, (_, i) => `C-${i}`), { dir: site.dir, url: gw.mqttUrl, capacity: o.capacity, batchSize: 50, window: 2 })
    const devices = fleet
    await devices.start()
    devices.startLoad(5)
    const problems: string[] = []
    const notes: string[] = []
    for (let run = 1; run <= o.runs; run++) {
      const how = o.damages[(run - 1) % o.damages.length]
      await sleep(o.upMs)
      upstreamUp = false
      await sleep(o.downMs)
      const undelivered = [...devices.truth.ids('acked')].filter(id => !site.sink.received.has(id)).length
      await gw.stop()
      const what = damage(join(site.dataDir, 'punchline.db'), how, random)
      upstreamUp = true
      gw = await site.startGateway()
      const detected = gw.logs.some(l => l.msg.startsWith('database failed its integrity check'))
      if (!detected) problems.push(`run ${run}: a damaged file (${what}) was not found at start`)
      // Every punch acknowledged before the damage is upstream again before the next run.
      const before = new Set(devices.truth.ids('acked'))
      const back = await site.sink.waitFor(() => [...before].every(id => site.sink.received.has(id)), 30_000).then(() => true, () => false)
      const asked = gw.logs.filter(l => l.msg === 'asked device to resend what the restored database may lack').length
      notes.push(`run ${run}: ${what}; ${undelivered} acknowledged punches not yet delivered went with it; ${asked} devices asked to resend` +
        (back ? '' : '; NOT all back within 30 s'))
      say(`corrupt-db: run ${run} (${how}) done`)
    }
    await devices.stopLoad()
    const drained = await devices.drained(site.sink, 60_000)
    await devices.stop()
    await gw.stop()

    const r = reconcileRun(devices.truth, site.upstreamView())
    const bound = o.runs * o.devices * o.capacity
    problems.unshift(...judge(r, { bound, storedAgain: bound }))
    if (!drained) problems.push(`did not drain within 60 s: ${devices.pending()} punches unacknowledged on the devices`)
    return faultReport('corrupt-db', o.runs, 'damaged starts', r,
      { bound, rule: `devices × ring capacity per damaged file (${o.devices} × ${o.capacity}): the rings' resends, under new keys` },
      performance.now() - started, problems, notes)
  } finally {
    await fleet?.stop()
    await site.close()
  }
}
