/**
 * The in-memory twin's store: punches as objects by slot, for the simulator's thousands of devices and
 * for tests. A map rather than an array of the capacity: a simulated terminal holds a few punches of its
 * 10,000 slots. Nothing is durable, so sync and counters have nothing to do.
 */
import type { Punch } from '../../shared/punch.js'
import type { RingStore } from './ring.js'
import { toPunch } from './record.js'

export class MemoryStore implements RingStore {
  readonly #punches = new Map<number, Punch>()

  write (slot: number, punch: Punch): void {
    this.#punches.set(slot, punch)
  }

  writeState (): void {}

  read (slot: number, seq: number): Punch | undefined {
    const p = this.#punches.get(slot)
    // A copy, as the file ring returns: a caller editing what it got must not edit the ring.
    return p !== undefined && p.seq === seq ? toPunch(seq, p) : undefined
  }

  saveCounters (): void {}

  sync (): void {}

  close (): void {
    this.#punches.clear()
  }
}
