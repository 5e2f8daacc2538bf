/**
 * The fake GPS receiver beside the reader: before each read it sends the read's position as a fresh fix
 * (RMC then GGA, time now), so the punch the device makes must carry exactly that position.
 *
 * The accuracy goes out as HDOP = acc / 5: the device turns HDOP back into metres at 5 m per unit
 * (nmea.ts), and the planned accuracies are whole metres, so acc / 5 has one decimal and survives NMEA's
 * one-decimal HDOP exactly.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Location } from '../../shared/punch.js'
import { FakeGps, trackSentences } from '../../fakes/hardware/fake-gps.js'
import { noiseFor, splitWrite, type LineFault, type LineTally } from './line-faults.js'
import type { SerialCable } from './serial-cable.js'

/**
 * The fix and the card travel on two PTYs through two socat processes, and the device reads whichever
 * is ready first: the pause lets the fix land before the card is presented, so that a punch stamped with
 * the previous fix is the device's fault, not a race of ours. (The player also waits for the device to
 * take each read before the next fix goes out: player.ts.)
 */
const FIX_LANDS_MS = 250

export class FakeGpsPart {
  readonly cable: SerialCable
  readonly #random: () => number
  readonly #tally: LineTally
  #fake?: FakeGps

  constructor (cable: SerialCable, random: () => number, tally: LineTally) {
    this.cable = cable
    this.#random = random
    this.#tally = tally
  }

  async connect (): Promise<void> { this.#fake = await FakeGps.open(this.cable.fakePath) }
  async disconnect (): Promise<void> { await this.#fake?.close(); this.#fake = undefined }

  async sendFix (loc: Location, fault: LineFault | undefined): Promise<void> {
    const fake = this.#fake
    if (fake === undefined) throw new Error('gps: not connected')
    const point = { lat: loc.lat, lon: loc.lon, ts: Date.now(), hdop: loc.acc / 5 }
    if (fault === 'noise') await fake.write(noiseFor('gps', this.#random, this.#tally))
    if (fault === 'bad-checksum') {
      await fake.write(trackSentences(point, { badChecksum: true }))
      this.#tally.badFrames += 2
    }
    await fake.send(point, fault === 'split' ? splitWrite(this.#random) : {})
    await sleep(FIX_LANDS_MS)
  }
}
