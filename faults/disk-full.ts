/**
 * Fault 4a: the gateway's storage runs out while devices punch, and comes back. Three ways:
 *
 * - budget: the database reaches `storage.maxDbBytes` while the upstream is down (nothing can be purged);
 *   the upstream comes back, retention purges what it took, and the gateway goes on by itself.
 * - floor: a real small disk (a tmpfs) filled by another file until its free space is under
 *   `storage.minFreeBytes`; the file is deleted and the gateway goes on.
 * - enospc: the same disk with no floor, filled until a commit fails with SQLITE_FULL (what a
 *   misconfigured floor, or a disk filling faster than the guard looks, gives).
 *
 * While full the gateway must acknowledge nothing it has not stored: the devices keep those punches and
 * send them again once there is room. Nothing acknowledged is lost and the gateway keeps running. A punch
 * is stored once and forwarded once, so the only duplicates allowed are those of a batch the upstream
 * took while the gateway could not write that down (SQLITE_FULL on the outbox: the forwarder logs
 * 'forwarding a batch failed unexpectedly'): each such failure may send that batch once more, under its
 * own key, so at most forward.batchSize copies per failure.
 */
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { DeviceFleet } from './load.js'
import { judge, reconcileRun } from './judge.js'
import { emptyReport, faultReport, type FaultReport } from './report.js'
import { FaultSite } from './site.js'
import { SmallDisk } from './small-disk.js'
import type { GatewayProcess, LogLine } from './gateway-process.js'
import type { WebhookAnswer } from '../fakes/upstream/webhook-upstream.js'
import { RandomStream } from '../sim/workload/random.js'

export type DiskMode = 'budget' | 'floor' | 'enospc'

export interface DiskFullOptions {
  seed: number
  mode: DiskMode
  /** fill, stay full, make room: this many times */
  cycles: number
  /** how long the storage stays full while the devices go on punching, ms */
  holdMs: number
  devices: number
  intervalMs: number
  /** punches per device per interval */
  burst: number
}

export const DISK_FULL: Record<'short' | 'long', Omit<DiskFullOptions, 'mode' | 'seed'>> = {
  short: { cycles: 1, holdMs: 800, devices: 3, intervalMs: 5, burst: 4 },
  long: { cycles: 5, holdMs: 2000, devices: 4, intervalMs: 5, burst: 4 }
}

const MiB = 1024 * 1024
const BATCH_SIZE = 100
const CONCURRENCY = 2
/** big enough that deleting the ballast frees ROOM_AFTER_FULL (64 MiB, storage-guard.ts) */
const DISK_MIB = 96
const FLOOR = 2 * MiB

const SETTINGS: Record<DiskMode, Record<string, Record<string, unknown>>> = {
  // About 86 ms: a delivered punch can be purged almost at once (retention runs at every check while full).
  budget: { storage: { maxDbBytes: 200 * 1024, minFreeBytes: 0, checkIntervalMs: 100 }, retention: { deliveredDays: 1e-6, intervalMinutes: 60 } },
  floor: { storage: { minFreeBytes: FLOOR, checkIntervalMs: 100 } },
  enospc: { storage: { minFreeBytes: 0, checkIntervalMs: 100 } }
}

const isFull = (l: LogLine): boolean => l.msg.startsWith('storage full: ingest stopped')
const isResumed = (l: LogLine): boolean => l.msg === 'storage has room again: ingest resumed'

export async function diskFullFault (o: DiskFullOptions, say: (line: string) => void = () => {}): Promise<FaultReport> {
  const started = performance.now()
  const fault = `disk-full (${o.mode})`
  const site = new FaultSite(`disk-${o.mode}`, { ...SETTINGS[o.mode], forward: { batchSize: BATCH_SIZE, concurrency: CONCURRENCY } })
  const disk = new SmallDisk(join(site.dir, 'disk'))
  site.cleanups.push(() => disk.unmount())
  // An upstream a little slow to answer, so that batches are in flight when the disk fills.
  const answers = new RandomStream(o.seed, `disk-full/${o.mode}`)
  const ok = (): WebhookAnswer => ({ status: 200, delayMs: Math.floor(answers.between(0, 50)) })
  site.respond(ok)
  let fleet: DeviceFleet | undefined
  try {
    if (o.mode !== 'budget') {
      const why = disk.mount(DISK_MIB)
      if (why !== undefined) return emptyReport(fault, 'cycles', performance.now() - started, [], [`skipped: ${why}`])
      site.dataDir = join(disk.dir, 'data')
    }
    let gw = await site.start()
    fleet = new DeviceFleet(Array.from({ length: o.devices }, (_, i) => `F-${i}`), { dir: site.dir, url: gw.mqttUrl, capacity: 20_000, batchSize: 100, window: 2 })
    const devices = fleet
    await devices.start()
    devices.startLoad(o.intervalMs, o.burst)
    const problems: string[] = []
    const notes: string[] = []
    let restarts = 0
    /**
     * Waits until the gateway's last word on its storage is `want` (it may have said it before the wait:
     * right after a purge made room, the next commits can fill the budget again); restarts the gateway
     * if it died meanwhile (a supervisor would), which is a problem.
     */
    const waitForLog = async (want: (l: LogLine) => boolean, what: string): Promise<boolean> => {
      const end = Date.now() + 60_000
      while (Date.now() < end) {
        const last = gw.logs.findLast(l => isFull(l) || isResumed(l))
        if (last !== undefined && want(last)) return true
        if (!gw.alive) {
          problems.push(`the gateway exited (${await exitOf(gw)}) while waiting for ${what}`)
          restarts++
          gw = await site.startGateway()
        }
        await sleep(50)
      }
      const last = gw.logs.slice(-5).map(l => `${l.msg}${l.err === undefined ? '' : ' ' + JSON.stringify(l.err).slice(0, 200)}`)
      problems.push(`no '${what}' within 60 s (${devices.truth.acked} punches acknowledged so far; the gateway's last log lines: ${last.join(' | ')})`)
      return false
    }
    const makeRoom = (): void => {
      if (o.mode === 'budget') site.respond(ok)
      else disk.makeRoom()
    }
    for (let cycle = 1; cycle <= o.cycles; cycle++) {
      if (o.mode === 'budget') site.respond(() => ({ status: 503 }))
      else disk.fill(o.mode === 'floor' ? FLOOR + MiB / 2 : MiB / 2)
      if (!await waitForLog(isFull, 'storage full')) { makeRoom(); break }
      const reason = gw.logs.findLast(isFull)?.reason
      const ackedAtFull = devices.truth.acked
      await sleep(o.holdMs)
      const held = devices.pending()
      const ackedWhileFull = devices.truth.acked - ackedAtFull
      makeRoom()
      if (!await waitForLog(isResumed, 'storage has room again')) break
      notes.push(`cycle ${cycle}: full (${String(reason)}); ${held} punches held on the devices, ${ackedWhileFull} acknowledged in the ${o.holdMs} ms full (commits already under way)`)
      if (held === 0) problems.push(`cycle ${cycle}: the devices held nothing while storage was full: the fault did not bite`)
    }
    say(`${fault}: ${o.cycles} cycles done, draining`)
    await devices.stopLoad()
    const drained = await devices.drained(site.sink, 60_000)
    const failures = gw.logs.filter(l => l.level >= 50 && !isFull(l) && !l.msg.startsWith('alarm ')).map(l => l.msg)
    await devices.stop()
    await gw.stop()

    const r = reconcileRun(devices.truth, site.upstreamView())
    const writeFailures = failures.filter(m => m.startsWith('forwarding a batch failed unexpectedly')).length
    // Retention at 86 ms (the budget's way to make room fast) may delete a delivered punch before its
    // device heard the ack (the connection was dropped for want of room): the device sends it again, the
    // gateway stores it again and forwards it again. At the default 90 days a device has long given up
    // such a punch (its ring keeps 72 h), so only this mode allows it, up to the punches purged.
    const purged = o.mode === 'budget' ? gw.logs.filter(l => l.msg === 'retention: delivered punches purged').reduce((n, l) => n + (l.purged as number), 0) : 0
    const bound = writeFailures * BATCH_SIZE + purged
    problems.push(...judge(r, { bound, storedAgain: purged }))
    if (!drained) problems.push(`did not drain within 60 s: ${devices.pending()} punches unacknowledged on the devices`)
    if (failures.length > 0) notes.push(`error log lines besides 'storage full': ${[...new Set(failures)].join('; ')}`)
    if (restarts > 0) notes.push(`the gateway was restarted ${restarts} times`)
    const rule = `${BATCH_SIZE} (forward.batchSize) per delivery the gateway could not write down (${writeFailures}), under the same Idempotency-Key` +
      (o.mode === 'budget' ? `, plus the punches retention purged (${purged}), stored again if their device never heard the ack` : '')
    return faultReport(fault, o.cycles, 'cycles', r, { bound, rule },
      performance.now() - started, problems, notes)
  } finally {
    await fleet?.stop()
    await site.close()
  }
}

async function exitOf (gw: GatewayProcess): Promise<string> {
  const { code, signal } = await gw.exited
  const last = gw.logs.filter(l => l.level >= 50).slice(-2).map(l => `${l.msg}${l.err === undefined ? '' : ' ' + JSON.stringify(l.err).slice(0, 300)}`)
  return `${String(code ?? signal)}: ${last.join(' | ')}`
}
