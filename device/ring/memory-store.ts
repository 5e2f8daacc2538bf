/**
 * The in-memory twin's store: punches as objects in a slot array, for the simulator's thousands of
 * devices and for tests. Nothing is durable, so sync and counters have nothing to do.
 */
import type { Punch } from '../../shared/punch.js'
import type { RingStore } from './ring.js'
import { toPunch } from './record.js'

export class MemoryStore implements RingStore {
  readonly #punches: Array<Punch | undefined>

  constructor (capacity: number) {
    this.#punches = new Array<Punch | undefined>(capacity).fill(undefined)
  }

  write (slot: number, punch: Punch): void {
    this.#punches[slot] = punch
  }

  writeState (): void {}

  read (slot: number, seq: number): Punch | undefined {
    const p = this.#punches[slot]
    // A copy, as the file ring returns: a caller editing what it got must not edit the ring.
    return p !== undefined && p.seq === seq ? toPunch(seq, p) : undefined
  }

  saveCounters (): void {}

  sync (): void {}

  close (): void {
    this.#punches.fill(undefined)
  }
}
