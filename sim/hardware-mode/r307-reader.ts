/**
 * A finger on the fake R307. The device asks and the module answers (GenImg until a finger is there,
 * Img2Tz, Search), so the player cannot just send a frame: it puts the finger on, waits until the device
 * has had its match, lifts it, and waits until the device has seen the sensor empty. Lifting earlier
 * could lose the touch; the next finger before the device saw "no finger" would be taken for the same
 * touch and never searched (the driver reads one touch once, however long it lasts).
 *
 * Both waits read the module's command counters, which say what the device did whoever runs it:
 * - matched: a Search, then two GenImg polls with no Img2Tz after it. A Search whose answer was lost is
 *   followed at the next poll by GenImg and Img2Tz again; only a device content with its match polls on.
 * - seen empty: two GenImg polls after the lift, the first of which the module answered "no finger".
 *
 * Line faults: noise is written between the module's answers; `split` sends each answer in small pieces;
 * `bad-checksum` corrupts the next answer, which the device must take as no answer and ask again.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { FakeR307 } from '../../fakes/hardware/fake-r307.js'
import { R307_CMD } from '../../device/inputs/serial/r307.js'
import type { Credential } from './credentials.js'
import { noiseFor, splitWrite, type LineFault, type LineTally } from './line-faults.js'
import type { FakeReader } from './fake-reader.js'
import type { SerialCable } from './serial-cable.js'

/** the device's poll and command timeout, set in its config (device-config.ts) */
export const R307_TIMING = { pollMs: 50, commandTimeoutMs: 300 }
/** generous: a few polls and a timed-out command, on a shared and busy machine */
const TOUCH_TIMEOUT_MS = 10_000

export class FakeR307Reader implements FakeReader {
  readonly kind = 'r307'
  readonly cable: SerialCable
  readonly #capacity: number
  readonly #random: () => number
  readonly #signal: AbortSignal | undefined
  readonly #tally: LineTally
  /** touches the device did not finish within the wait (the summary shows them) */
  unfinishedTouches = 0
  #fake?: FakeR307

  constructor (cable: SerialCable, o: { capacity: number, random: () => number, tally: LineTally, signal?: AbortSignal }) {
    this.cable = cable
    this.#capacity = o.capacity
    this.#random = o.random
    this.#signal = o.signal
    this.#tally = o.tally
  }

  async connect (): Promise<void> { this.#fake = await FakeR307.open(this.cable.fakePath, { capacity: this.#capacity }) }
  async disconnect (): Promise<void> { await this.#fake?.close(); this.#fake = undefined }

  async present (c: Credential, fault: LineFault | undefined): Promise<void> {
    const fake = this.#fake
    if (fake === undefined || c.kind !== 'r307') throw new Error('r307: not connected, or not a finger')
    const m = fake.module
    if (fault === 'noise') await fake.port.write(noiseFor('r307', this.#random, this.#tally))
    if (fault === 'split') fake.replyWrite = splitWrite(this.#random)
    if (fault === 'bad-checksum') { m.corruptReplies = 1; this.#tally.badFrames++ }
    try {
      const searchesBefore = m.count(R307_CMD.search)
      fake.putFinger(c.templateId)
      let last = { search: searchesBefore, genImg: 0, img2Tz: 0 }
      const matched = await this.#until(() => {
        const now = { search: m.count(R307_CMD.search), genImg: m.count(R307_CMD.genImg), img2Tz: m.count(R307_CMD.img2Tz) }
        if (now.search !== last.search) last = now
        return last.search > searchesBefore && now.genImg - last.genImg >= 2 && now.img2Tz === last.img2Tz
      })
      fake.lift()
      const polls = m.count(R307_CMD.genImg)
      const seenEmpty = await this.#until(() => m.count(R307_CMD.genImg) >= polls + 2)
      if (!matched || !seenEmpty) this.unfinishedTouches++
    } finally {
      fake.replyWrite = {}
      m.corruptReplies = 0
    }
  }

  async #until (cond: () => boolean): Promise<boolean> {
    const end = Date.now() + TOUCH_TIMEOUT_MS
    while (!cond()) {
      if (Date.now() > end) return false
      await sleep(10, undefined, { signal: this.#signal })
    }
    return true
  }
}
