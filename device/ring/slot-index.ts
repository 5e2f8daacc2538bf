/**
 * Which slot holds which seq in which state, and where the next punch goes (docs/ARCHITECTURE.md, decision
 * 4). Shared by the file ring and its in-memory twin. No payloads here: per slot one state byte and two f64
 * (seq, ts), plus the seq log's (f64, i32) entries, about 30 bytes a slot (docs/BENCHMARKS.md, "Device
 * ring", measures it).
 *
 * A device allocates all of it at start, so its memory is known before the first punch. The simulator's
 * in-memory rings start small and double up to the capacity as slots are first used: 10,000 simulated
 * terminals with 10,000-slot rings would otherwise hold 3 GB of index for a few punches each. Slots past
 * the allocated arrays are empty; allocation takes slots in order, so the arrays only grow at their end.
 */
import type { FullPolicy } from './api.js'
import { SeqLog } from './seq-log.js'

export const SLOT_EMPTY = 0
export const SLOT_PENDING = 1
export const SLOT_ACKED = 2
export const SLOT_REJECTED = 3
export type SlotState = typeof SLOT_EMPTY | typeof SLOT_PENDING | typeof SLOT_ACKED | typeof SLOT_REJECTED

export interface Allocation {
  slot: number
  /** the unacked punch this allocation destroys */
  victim?: { seq: number, expired: boolean }
  /** the slot holds the newest durable record: save the seq floor durably before writing into it */
  saveFloor?: true
}

export class SlotIndex {
  readonly capacity: number
  #state: Uint8Array
  #seq: Float64Array
  #ts: Float64Array
  readonly #log: SeqLog
  #pending = 0
  #maxSeq = 0
  #maxSlot = -1
  /**
   * The slot of the newest record known to be on the medium. Recovery takes the next seq from the highest
   * one it finds, so overwriting this record could, if the write tears, hand out its seq again. It is
   * reused only as the last free slot, and then only after the seq floor is saved (saveFloor).
   */
  #protected = -1
  #cursor = -1

  /** `initial`: slots allocated at start (all of them unless given); the rest as they are first used. */
  constructor (capacity: number, initial = capacity) {
    this.capacity = capacity
    const size = Math.min(capacity, Math.max(16, initial))
    this.#state = new Uint8Array(size)
    this.#seq = new Float64Array(size)
    this.#ts = new Float64Array(size)
    this.#log = new SeqLog(capacity, Math.max(16, capacity >> 2), size)
  }

  /** Per slot: SLOT_EMPTY and the rest. Slots at or past its length are empty. */
  get state (): Uint8Array { return this.#state }
  get seq (): Float64Array { return this.#seq }
  get ts (): Float64Array { return this.#ts }

  /** Makes `slot` addressable: doubles the arrays (up to the capacity) until it fits. */
  #reach (slot: number): void {
    if (slot < this.#state.length) return
    let size = this.#state.length
    while (size <= slot) size = Math.min(this.capacity, size * 2)
    const state = new Uint8Array(size)
    const seq = new Float64Array(size)
    const ts = new Float64Array(size)
    state.set(this.#state)
    seq.set(this.#seq)
    ts.set(this.#ts)
    this.#state = state
    this.#seq = seq
    this.#ts = ts
  }

  get pendingCount (): number { return this.#pending }

  /** The highest seq handed out so far. */
  get maxSeq (): number { return this.#maxSeq }

  /** Recovery: what a slot holds. Call settle() once every slot is loaded. */
  load (slot: number, seq: number, ts: number, state: SlotState): void {
    this.#reach(slot)
    this.#state[slot] = state
    this.#seq[slot] = seq
    this.#ts[slot] = ts
  }

  /**
   * Recovery: orders the loaded records, continues seqs after the highest found (or `seqFloor`, if
   * higher) and returns the slots dropped because another slot already held their seq.
   */
  settle (seqFloor = 0): number[] {
    const used: number[] = []
    for (let s = 0; s < this.#state.length; s++) if (this.#state[s] !== SLOT_EMPTY) used.push(s)
    used.sort((a, b) => this.#seq[a] - this.#seq[b])
    const dropped: number[] = []
    this.#log.length = 0
    this.#pending = 0
    for (const s of used) {
      if (this.#log.length > 0 && this.#log.seqs[this.#log.length - 1] === this.#seq[s]) {
        this.#state[s] = SLOT_EMPTY
        dropped.push(s)
        continue
      }
      this.#log.push(this.#seq[s], s)
      if (this.#state[s] === SLOT_PENDING) this.#pending++
    }
    const last = this.#log.length - 1
    this.#maxSlot = last >= 0 ? this.#log.slots[last] : -1
    this.#maxSeq = Math.max(seqFloor, last >= 0 ? this.#log.seqs[last] : 0)
    this.#protected = this.#maxSlot
    this.#cursor = this.#maxSlot
    return dropped
  }

  /**
   * Where the next punch goes: a free slot (empty, acked, rejected) scanning on from the last one written;
   * else the expired unacked punch with the oldest ts; else, under `overwrite-oldest`, the unacked punch
   * with the lowest seq; else nowhere.
   */
  allocate (now: number, retentionMs: number, policy: FullPolicy): Allocation | undefined {
    const cap = this.capacity
    if (this.#pending < cap) {
      for (let k = 1; k <= cap; k++) {
        const s = (this.#cursor + k) % cap
        if (s !== this.#protected && this.#state[s] !== SLOT_PENDING) return { slot: s }
      }
      if (this.#protected >= 0 && this.#state[this.#protected] !== SLOT_PENDING) return { slot: this.#protected, saveFloor: true }
    }
    let oldest = -1
    for (let s = 0; s < this.#state.length; s++) {
      if (s === this.#protected || this.#state[s] !== SLOT_PENDING || !(now - this.#ts[s] > retentionMs)) continue
      if (oldest < 0 || this.#ts[s] < this.#ts[oldest] || (this.#ts[s] === this.#ts[oldest] && this.#seq[s] < this.#seq[oldest])) oldest = s
    }
    if (oldest >= 0) return { slot: oldest, victim: { seq: this.#seq[oldest], expired: true } }
    if (policy !== 'overwrite-oldest') return undefined
    const { seqs, slots, length } = this.#log
    for (let i = 0; i < length; i++) {
      const s = slots[i]
      if (s !== this.#protected && this.#isCurrent(seqs[i], s) && this.#state[s] === SLOT_PENDING) {
        return { slot: s, victim: { seq: seqs[i], expired: false } }
      }
    }
    return undefined
  }

  /** Puts the next seq, pending, into an allocated slot and returns the seq. */
  place (slot: number, ts: number): number {
    this.#reach(slot)
    if (this.#state[slot] !== SLOT_PENDING) this.#pending++
    const seq = ++this.#maxSeq
    this.#state[slot] = SLOT_PENDING
    this.#seq[slot] = seq
    this.#ts[slot] = ts
    if (this.#log.full) this.#log.compact((q, s) => this.#isCurrent(q, s))
    this.#log.push(seq, slot)
    this.#maxSlot = slot
    this.#cursor = slot
    return seq
  }

  /** Everything placed so far is on the medium. */
  commit (): void {
    this.#protected = this.#maxSlot
  }

  /** The slot still holding `seq`, or -1. */
  slotOf (seq: number): number {
    const i = this.#log.find(seq)
    if (i < 0) return -1
    const s = this.#log.slots[i]
    return this.#isCurrent(seq, s) ? s : -1
  }

  setState (slot: number, state: SlotState): void {
    if (slot >= this.#state.length) {
      if (state === SLOT_EMPTY) return
      this.#reach(slot)
    }
    const was = this.#state[slot]
    if (was === state) return
    if (was === SLOT_PENDING) this.#pending--
    else if (state === SLOT_PENDING) this.#pending++
    this.#state[slot] = state
  }

  /** Slots of pending punches in seq order, skipping `exclude`d seqs, at most `limit`. */
  pendingSlots (order: 'newest' | 'oldest', limit: number, exclude?: (seq: number) => boolean): number[] {
    const out: number[] = []
    if (!(limit > 0) || this.#pending === 0) return out
    const { seqs, slots, length } = this.#log
    const newest = order === 'newest'
    let seen = 0
    for (let k = 0; k < length; k++) {
      const i = newest ? length - 1 - k : k
      const s = slots[i]
      if (this.#state[s] !== SLOT_PENDING || this.#seq[s] !== seqs[i]) continue
      seen++
      if (exclude === undefined || !exclude(seqs[i])) out.push(s)
      if (out.length >= limit || seen >= this.#pending) break
    }
    return out
  }

  oldestPendingTs (): number | null {
    let oldest: number | null = null
    for (let s = 0; s < this.#state.length; s++) {
      if (this.#state[s] === SLOT_PENDING && (oldest === null || this.#ts[s] < oldest)) oldest = this.#ts[s]
    }
    return oldest
  }

  #isCurrent (seq: number, slot: number): boolean {
    return this.#state[slot] !== SLOT_EMPTY && this.#seq[slot] === seq
  }
}
