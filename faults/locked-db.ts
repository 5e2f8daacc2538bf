/**
 * Fault 4c: the gateway is restarted while another process holds its database lock (an operator's
 * `sqlite3` shell left in a transaction, a stuck script), longer than the busy timeout. Each run: devices
 * punch while the upstream is down, so the gateway holds acknowledged punches it has not delivered; the
 * gateway stops; another process takes the lock (faults/db-lock-holder.ts; the two ways in turn); the
 * gateway is started and must refuse: exit 75, one line naming the lock, the file left in place. Devices
 * keep punching into their rings meanwhile. The lock goes, the gateway starts on the SAME database and
 * forwards what it held: nothing is stored a second time (a new, empty file would store the devices'
 * resends again), nothing is moved aside, and every acknowledged punch is upstream.
 *
 * Duplicates: none. A stop waits for requests in flight, the file keeps every batch's key, and a punch is
 * stored once (issue 13, item 2: before the fix the held lock read as damage and the file was moved aside).
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { DatabaseLockHolder, type LockMode } from './db-lock-holder.js'
import { DeviceFleet } from './load.js'
import { judge, reconcileRun } from './judge.js'
import { faultReport, type FaultReport } from './report.js'
import { FaultSite } from './site.js'

export interface LockedDbOptions {
  seed: number
  runs: number
  devices: number
  capacity: number
  /** how long the devices punch with the upstream up, then down, before each stop, ms */
  upMs: number
  downMs: number
}

export const LOCKED_DB: Record<'short' | 'long', Omit<LockedDbOptions, 'seed'>> = {
  short: { runs: 2, devices: 2, capacity: 2000, upMs: 500, downMs: 500 },
  long: { runs: 6, devices: 3, capacity: 4000, upMs: 1500, downMs: 1500 }
}

const MODES: readonly LockMode[] = ['exclusive', 'writer']
/** the gateway's exit status for a start refused for a passing cause (gateway/cli/gateway.ts) */
const EXIT_STORE_UNAVAILABLE = 75

function storedCount (file: string): number {
  const db = new Database(file, { readonly: true })
  try { return (db.prepare('SELECT count(*) AS n FROM punches').get() as { n: number }).n } finally { db.close() }
}

export async function lockedDbFault (o: LockedDbOptions, say: (line: string) => void = () => {}): Promise<FaultReport> {
  const started = performance.now()
  const site = new FaultSite('locked-db')
  let upstreamUp = true
  site.respond(() => ({ status: upstreamUp ? 200 : 503 }))
  let fleet: DeviceFleet | undefined
  let holder: DatabaseLockHolder | undefined
  try {
    let gw = await site.start()
    fleet = new DeviceFleet(Array.from({ length: o.devices }, (_, i) => `L-${i}`), { dir: site.dir, url: gw.mqttUrl, capacity: o.capacity, batchSize: 50, window: 2 })
    const devices = fleet
    await devices.start()
    devices.startLoad(5)
    const file = join(site.dataDir, 'punchline.db')
    const problems: string[] = []
    const notes: string[] = []
    for (let run = 1; run <= o.runs; run++) {
      const mode = MODES[(run - 1) % MODES.length]
      await sleep(o.upMs)
      upstreamUp = false
      await sleep(o.downMs)
      await gw.stop()
      const undelivered = [...devices.truth.ids('acked')].filter(id => !site.sink.received.has(id)).length
      const storedBefore = storedCount(file)
      holder = await DatabaseLockHolder.hold(file, mode)
      upstreamUp = true
      const refusal = await site.startGateway().then(g => { gw = g; return undefined }, (err: Error) => err.message)
      if (refusal === undefined) {
        problems.push(`run ${run} (${mode}): the gateway started while another process held the database lock`)
        await gw.stop()
      } else if (!refusal.includes(`exited with ${EXIT_STORE_UNAVAILABLE}`) || !refusal.includes('locked by another process')) {
        problems.push(`run ${run} (${mode}): the refusal was not the expected exit ${EXIT_STORE_UNAVAILABLE} naming the lock: ${refusal.slice(0, 300)}`)
      }
      await holder.release()
      holder = undefined
      gw = await site.startGateway()
      const aside = readdirSync(site.dataDir).filter(n => n.includes('.corrupt-'))
      if (aside.length > 0) problems.push(`run ${run} (${mode}): the database was moved aside (${aside.join(', ')})`)
      const storedAfter = storedCount(file)
      if (storedAfter < storedBefore) problems.push(`run ${run} (${mode}): ${storedBefore} punches stored before the refused start, ${storedAfter} after`)
      notes.push(`run ${run} (${mode} lock): refused (${refusal === undefined ? 'NOT refused' : 'exit ' + EXIT_STORE_UNAVAILABLE}); ${undelivered} acknowledged punches held undelivered, ${storedBefore} stored, all on the same file after`)
      say(`locked-db: run ${run} (${mode}) done`)
    }
    await devices.stopLoad()
    const drained = await devices.drained(site.sink, 60_000)
    await devices.stop()
    await gw.stop()

    const r = reconcileRun(devices.truth, site.upstreamView())
    problems.unshift(...judge(r, { bound: 0, storedAgain: 0 }))
    if (!drained) problems.push(`did not drain within 60 s: ${devices.pending()} punches unacknowledged on the devices`)
    return faultReport('locked-db', o.runs, 'locked starts', r,
      { bound: 0, rule: 'none: the same file keeps every punch and every batch key across the refused start' },
      performance.now() - started, problems, notes)
  } finally {
    await holder?.release()
    await fleet?.stop()
    await site.close()
  }
}
