/**
 * A fake reader on its cable, as the player sees it: connect once the device has its end open, present a
 * credential (with a line fault or not), disconnect before an unplug. `present` resolves when the
 * presentation is over: the card taken away, the finger lifted.
 *
 * The two passive readers are here; the fingerprint module, which answers the device, is in r307-reader.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { FakeRdm6300 } from '../../fakes/hardware/fake-rdm6300.js'
import { FakeWiegand } from '../../fakes/hardware/fake-wiegand.js'
import type { Credential } from './credentials.js'
import { noiseFor, splitWrite, type LineFault, type LineTally } from './line-faults.js'
import type { ReaderKind } from './options.js'
import type { SerialCable } from './serial-cable.js'

export interface FakeReader {
  readonly kind: ReaderKind
  readonly cable: SerialCable
  connect (): Promise<void>
  disconnect (): Promise<void>
  present (c: Credential, fault: LineFault | undefined): Promise<void>
}

/**
 * An EM4100 module repeats the frame while the card is in its field (about every 65 ms); the device's
 * debounce must make one read of them. The repeats go out in one write: this process also runs the
 * gateway, whose synchronous commits can hold the event loop for longer than a repeat's gap on a busy
 * disk, and a gap stretched past the debounce would be two presentations, not one held card.
 */
const HELD_FRAMES = 3
/** A person whose card did not beep moves it away and back. */
const TRY_AGAIN_MS = 150

export class FakeRdm6300Reader implements FakeReader {
  readonly kind = 'rdm6300'
  readonly cable: SerialCable
  readonly #random: () => number
  readonly #tally: LineTally
  #fake?: FakeRdm6300

  constructor (cable: SerialCable, random: () => number, tally: LineTally) {
    this.cable = cable
    this.#random = random
    this.#tally = tally
  }

  async connect (): Promise<void> { this.#fake = await FakeRdm6300.open(this.cable.fakePath) }
  async disconnect (): Promise<void> { await this.#fake?.close(); this.#fake = undefined }

  async present (c: Credential, fault: LineFault | undefined): Promise<void> {
    const fake = this.#fake
    if (fake === undefined || c.kind !== 'rdm6300') throw new Error('rdm6300: not connected, or not a card')
    if (fault === 'noise') await fake.write(noiseFor('rdm6300', this.#random, this.#tally))
    if (fault === 'bad-checksum') {
      await fake.write(FakeRdm6300.badFrame(c.tag))
      this.#tally.badFrames++
      await sleep(TRY_AGAIN_MS)
    }
    // Split: a quick tap, one frame in pieces (pieces of a held card's repeats could stall apart, above).
    if (fault === 'split') await fake.write(FakeRdm6300.frame(c.tag), splitWrite(this.#random))
    else await fake.write(Buffer.concat(Array.from({ length: HELD_FRAMES }, () => FakeRdm6300.frame(c.tag))))
  }
}

/**
 * A Wiegand-26 converter that prints the raw 26 bits: the style in which a misread shows, as a parity
 * error (the "FC:… CARD:…" style has no check left to fail).
 */
export class FakeWiegandReader implements FakeReader {
  readonly kind = 'wiegand'
  readonly cable: SerialCable
  readonly #random: () => number
  readonly #tally: LineTally
  #fake?: FakeWiegand

  constructor (cable: SerialCable, random: () => number, tally: LineTally) {
    this.cable = cable
    this.#random = random
    this.#tally = tally
  }

  async connect (): Promise<void> { this.#fake = await FakeWiegand.open(this.cable.fakePath) }
  async disconnect (): Promise<void> { await this.#fake?.close(); this.#fake = undefined }

  async present (c: Credential, fault: LineFault | undefined): Promise<void> {
    const fake = this.#fake
    if (fake === undefined || c.kind !== 'wiegand') throw new Error('wiegand: not connected, or not a card')
    const card = { facility: c.facility, card: c.card }
    if (fault === 'noise') await fake.write(noiseFor('wiegand', this.#random, this.#tally))
    if (fault === 'bad-checksum') {
      await fake.swipe(card, { style: 'bits', badParity: true })
      this.#tally.badFrames++
      await sleep(TRY_AGAIN_MS)
    }
    await fake.swipe(card, { style: 'bits', ...(fault === 'split' ? splitWrite(this.#random) : {}) })
  }
}
