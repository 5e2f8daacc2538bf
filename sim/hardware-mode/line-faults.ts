/**
 * What a real serial line does to a read now and then, drawn from the run's seeded PRNG so a failing run
 * can be played again: noise before the frame (a motor starting, a loose ground), the frame arriving in
 * small pieces (a USB adapter's latency timer), or a frame with a bad checksum followed by a good one (a
 * card moved through the field too fast, and the person holding it again). None of them may add or lose a
 * punch: the decoders resynchronise and count, they never guess.
 *
 * The noise is high bytes (what a line at the wrong level or baud reads as) and leaves out each
 * protocol's frame markers, so it is noise and nothing else: a random STX plus twelve hex digits with a
 * right checksum would be a card nobody presented, a fault of the test, not of the device.
 */
import type { WriteOptions } from '../../fakes/hardware/device-port.js'
import type { HardwareKind } from './options.js'

export const LINE_FAULTS = ['noise', 'split', 'bad-checksum'] as const
export type LineFault = typeof LINE_FAULTS[number]

export class LineFaults {
  readonly #p: number
  readonly #random: () => number
  readonly counts: Record<LineFault, number> = { noise: 0, split: 0, 'bad-checksum': 0 }

  constructor (probability: number, random: () => number) {
    this.#p = probability
    this.#random = random
  }

  /** The fault for the next read, if any. Two draws every time, so the sequence depends on the seed only. */
  next (): LineFault | undefined {
    const hit = this.#random() < this.#p
    const which = LINE_FAULTS[Math.min(LINE_FAULTS.length - 1, Math.floor(this.#random() * LINE_FAULTS.length))]
    if (!hit) return undefined
    this.counts[which]++
    return which
  }
}

/** What the fake parts sent that the device should count and throw away, for the summary. */
export class LineTally {
  /** frames or sentences with a bad checksum or parity, and R307 answers corrupted */
  badFrames = 0
  noiseBytes = 0
}

/** 0xEF starts an R307 packet; below 0x80 are STX/ETX, digits, '$' and line ends. */
const NOT_NOISE = new Set([0xef])

/** 3 to 16 bytes of line noise for a part; a line-based converter's garbage ends its own line. */
export function noiseFor (kind: HardwareKind, random: () => number, tally: LineTally): Buffer {
  const bytes: number[] = []
  const n = 3 + Math.floor(random() * 14)
  while (bytes.length < n) {
    const b = 0x80 + Math.floor(random() * 0x7f)
    if (!NOT_NOISE.has(b)) bytes.push(b)
  }
  tally.noiseBytes += bytes.length
  // A Wiegand converter prints lines: noise without an end would glue onto the card's line and spoil it.
  if (kind === 'wiegand') bytes.push(0x0d, 0x0a)
  return Buffer.from(bytes)
}

/** Pieces of 1 to 4 bytes a few milliseconds apart, so the runtime reads each on its own. */
export function splitWrite (random: () => number): WriteOptions {
  return { chunkSize: 1 + Math.floor(random() * 4), gapMs: 3 + Math.floor(random() * 8) }
}
