/**
 * Plays the read plan at the fake parts in real time: one read every `everyMs`, each person's credential
 * at the reader, the read's fix at the GPS just before it, a line fault now and then, the reader's cable
 * pulled out every `unplugEvery` reads. What it presented is the ground truth the run is judged by.
 *
 * Three rules keep the ground truth exact, so that any difference is the device's:
 * - each read waits until the device has taken the one before (its outcome line, or the punch upstream
 *   when the device runs outside): the reader and the GPS are two PTYs behind two socat processes, and
 *   under load the next fix could overtake a card still in the other pipe and stamp it;
 * - one credential is never presented again within `sameCredentialGapMs` (device-config.ts) of the moment
 *   the device took it: inside the debounce or duplicate-read window a second read is meant to be dropped;
 * - the cable is pulled only once everything presented so far is upstream: pulling it with a frame still
 *   in the PTY would lose bytes no device could have read.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { CredentialBook } from './credentials.js'
import { READER_METHOD } from './credentials.js'
import type { FakeReader } from './fake-reader.js'
import type { FakeGpsPart } from './gps-part.js'
import type { LineFaults } from './line-faults.js'
import type { HardwareRead } from './read-plan.js'
import type { Presented } from './reconcile.js'
import { waitUntil } from './bounded-wait.js'
import { locationText } from './reconcile.js'

/** How long the adapter stays out of its socket. */
export const UNPLUGGED_MS = 1000
/**
 * The line stays quiet this long before the cable is pulled, so the device's serial read is parked on its
 * poller, where a hangup is reported. A hangup that lands while a read is in flight comes back as a
 * 0-byte read, which @serialport/bindings-cpp 13 retries for ever (serialport/bindings-cpp#162): the port
 * then looks open and never reads again. That is a device finding the summary shows (missing reads, no
 * reconnect); the pause keeps this mode from provoking it on every busy machine. (An R307's line is never
 * quiet, the device polls it; that reader is pulled mid-conversation whatever we wait.)
 */
const QUIET_BEFORE_UNPLUG_MS = 500
/** Bounds of the waits around an unplug (delivery before it, the device reopening its port after it). */
const DELIVERED_BEFORE_UNPLUG_MS = 20_000
const REOPEN_MS = 20_000
/** Without /proc: past the device's longest reopen backoff (serial-input.ts: 5 s cap). */
const REOPEN_BLIND_MS = 6000
/** A read the device has not taken in this long is left to the reconciliation. */
const TAKEN_MS = 5000

export interface PlayerDeps {
  reader: FakeReader
  gps?: FakeGpsPart
  book: CredentialBook
  faults: LineFaults
  everyMs: number
  unplugEvery?: number
  sameCredentialGapMs: number
  /** punches of the device the upstream has accepted so far */
  delivered: () => number
  /** reads the device has taken so far: its outcome lines, or `delivered` when it runs outside */
  taken: () => number
  /** whether the device has the reader's port open again; undefined where /proc cannot tell */
  deviceHasPort?: () => boolean
  /** false once the device process is gone: nothing it could read is presented any more */
  deviceAlive: () => boolean
  signal: AbortSignal
  out: (line: string) => void
}

export interface PlayResult {
  presented: Presented[]
  unplugs: number
  /** why the play stopped early, if it did */
  stopped?: string
}

export async function play (reads: readonly HardwareRead[], d: PlayerDeps): Promise<PlayResult> {
  const presented: Presented[] = []
  const lastShown = new Map<string, number>()
  const method = READER_METHOD[d.reader.kind]
  const width = String(reads.length).length
  let unplugs = 0
  let next = Date.now()
  /** cleared when the device fails to take a read: a broken device must not cost TAKEN_MS per read */
  let confirm = true
  for (const r of reads) {
    d.signal.throwIfAborted()
    if (!d.deviceAlive()) return { presented, unplugs, stopped: 'the device process exited' }
    const c = d.book.of(r.person)
    const since = Date.now() - (lastShown.get(c.emp) ?? -Infinity)
    const at = Math.max(next, Date.now() + Math.max(0, d.sameCredentialGapMs - since))
    if (at > Date.now()) await sleep(at - Date.now(), undefined, { signal: d.signal })
    next = Date.now() + d.everyMs
    const fault = d.faults.next()
    if (r.loc !== undefined) await d.gps?.sendFix(r.loc, fault)
    await d.reader.present(c, fault)
    const p: Presented = { n: r.n, person: r.person, emp: c.emp, method, fault }
    if (r.loc !== undefined) p.loc = r.loc
    presented.push(p)
    d.out(`read ${String(r.n).padStart(width)}/${reads.length}  ${r.person.padEnd(12)} ${r.kind.padEnd(9)} ${d.reader.kind} ${c.emp}` +
      (r.loc !== undefined ? `  at ${locationText(r.loc)}` : '') + (fault !== undefined ? `  [${fault}]` : ''))
    const count = presented.length
    if (confirm && !await waitUntil(() => d.taken() >= count, { timeoutMs: TAKEN_MS, everyMs: 5, signal: d.signal })) {
      confirm = false
      d.out(`read ${r.n}: the device has not taken it within ${TAKEN_MS / 1000} s (${d.taken()} of ${count} taken); not waiting on the next reads`)
    }
    lastShown.set(c.emp, Date.now())

    if (d.unplugEvery !== undefined && r.n % d.unplugEvery === 0 && r.n < reads.length) {
      const all = presented.length
      if (!await waitUntil(() => d.delivered() >= all, { timeoutMs: DELIVERED_BEFORE_UNPLUG_MS, signal: d.signal })) {
        d.out(`unplug: only ${d.delivered()} of ${all} reads upstream after ${DELIVERED_BEFORE_UNPLUG_MS / 1000} s; pulling the cable anyway`)
      }
      await sleep(QUIET_BEFORE_UNPLUG_MS, undefined, { signal: d.signal })
      await d.reader.disconnect()
      await d.reader.cable.unplug()
      unplugs++
      d.out(`unplug: ${d.reader.kind} cable pulled out; back in ${UNPLUGGED_MS / 1000} s`)
      await sleep(UNPLUGGED_MS, undefined, { signal: d.signal })
      await d.reader.cable.replug()
      // Open the fake's end only after the device has reopened its own: serialport flushes on open.
      if (d.deviceHasPort === undefined) {
        await sleep(REOPEN_BLIND_MS, undefined, { signal: d.signal })
        d.out('unplug: plugged back in')
      } else if (await waitUntil(d.deviceHasPort, { timeoutMs: REOPEN_MS, signal: d.signal })) {
        d.out('unplug: plugged back in; the device has its port open again')
      } else {
        d.out(`unplug: plugged back in, but the device did not reopen ${d.reader.cable.devicePath} within ${REOPEN_MS / 1000} s`)
      }
      await d.reader.connect()
      next = Date.now()
    }
  }
  return { presented, unplugs }
}
