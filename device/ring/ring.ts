/**
 * The ring itself: seq assignment, allocation and counters over a SlotIndex, with the bytes left to a
 * RingStore (a preallocated file, or memory for the simulator). Both rings run this same code.
 */
import type { Punch, PunchInput } from '../../shared/punch.js'
import type { Logger } from '../../shared/log.js'
import {
  DEFAULT_RETENTION_MS,
  type AppendResult, type FullPolicy, type PendingQuery, type Ring, type RingCounters, type RingOptions, type RingStats
} from './api.js'
import { MAX_PAYLOAD_BYTES, payloadOf, toPunch } from './record.js'
import { SLOT_ACKED, SLOT_EMPTY, SLOT_PENDING, SLOT_REJECTED, type SlotIndex, type SlotState } from './slot-index.js'

/** Where records live. Writes become durable at sync(); saveCounters() is durable when it returns. */
export interface RingStore {
  /** Writes a whole pending record into `slot` in one write. */
  write: (slot: number, punch: Punch, payload: string, payloadBytes: number) => void
  writeState: (slot: number, state: SlotState) => void
  /** The punch in `slot` if it is intact and still carries `seq`. */
  read: (slot: number, seq: number) => Punch | undefined
  saveCounters: (counters: RingCounters, seqFloor: number) => void
  sync: () => void
  close: () => void
}

/** Slot indexes are Int32 and the file header stores capacity as u32; 16 M slots is a 16 GB file. */
export const MAX_CAPACITY = 1 << 24

export interface ResolvedRingOptions {
  capacity: number
  retentionMs: number
  policy: FullPolicy
  now: () => number
}

/** Checks options at the edge, with messages a person can act on. */
export function resolveRingOptions (o: RingOptions): ResolvedRingOptions {
  if (!Number.isInteger(o.capacity) || o.capacity < 2 || o.capacity > MAX_CAPACITY) {
    throw new RangeError(`ring capacity: must be an integer from 2 to ${MAX_CAPACITY} (got ${String(o.capacity)})`)
  }
  const retentionMs = o.retentionMs ?? DEFAULT_RETENTION_MS
  if (typeof retentionMs !== 'number' || !(retentionMs >= 0)) {
    throw new RangeError(`ring retentionMs: must be a number of milliseconds >= 0 (got ${String(o.retentionMs)})`)
  }
  const policy = o.policy ?? 'refuse'
  if (policy !== 'refuse' && policy !== 'overwrite-oldest') {
    throw new RangeError(`ring policy: must be refuse or overwrite-oldest (got ${String(policy)})`)
  }
  return { capacity: o.capacity, retentionMs, policy, now: o.now ?? Date.now }
}

export interface PunchRingOptions extends ResolvedRingOptions {
  epoch: string
  counters: RingCounters
  /** unreadable records recovery already found */
  corrupt: number
  /** why the storage was formatted while opening it; undefined when it opened as it was */
  formatted?: string
  log?: Logger
}

export class PunchRing implements Ring {
  readonly epoch: string
  readonly capacity: number
  readonly formatted: string | undefined
  readonly #store: RingStore
  readonly #index: SlotIndex
  readonly #counters: RingCounters
  readonly #retentionMs: number
  readonly #policy: FullPolicy
  readonly #now: () => number
  readonly #log: Logger | undefined
  #corrupt: number
  #closed = false

  constructor (store: RingStore, index: SlotIndex, o: PunchRingOptions) {
    this.epoch = o.epoch
    this.capacity = o.capacity
    this.formatted = o.formatted
    this.#store = store
    this.#index = index
    this.#counters = { ...o.counters }
    this.#retentionMs = o.retentionMs
    this.#policy = o.policy
    this.#now = o.now
    this.#log = o.log
    this.#corrupt = o.corrupt
  }

  append (p: PunchInput): AppendResult {
    return this.appendMany([p])[0]
  }

  appendMany (ps: readonly PunchInput[]): AppendResult[] {
    this.#assertOpen()
    const index = this.#index
    const c = this.#counters
    const now = this.#now()
    const results: AppendResult[] = []
    const writes: Array<{ slot: number, punch: Punch, payload: string, bytes: number }> = []
    let countersChanged = false
    let saveFloor = false
    for (const p of ps) {
      const payload = payloadOf(p)
      const bytes = Buffer.byteLength(payload)
      if (bytes > MAX_PAYLOAD_BYTES) {
        results.push({ ok: false, reason: 'too-large', message: `punch refused: it takes ${bytes} bytes encoded and a ring record holds ${MAX_PAYLOAD_BYTES} (emp or manual.reason too long)` })
        continue
      }
      const a = index.allocate(now, this.#retentionMs, this.#policy)
      if (a === undefined) {
        c.refused++
        countersChanged = true
        results.push({ ok: false, reason: 'full', message: this.#fullMessage() })
        continue
      }
      if (a.saveFloor === true) saveFloor = true
      const seq = index.place(a.slot, p.ts)
      writes.push({ slot: a.slot, punch: toPunch(seq, p), payload, bytes })
      if (a.victim === undefined) {
        results.push({ ok: true, seq })
      } else {
        c.overwritten++
        if (a.victim.expired) c.expired++
        countersChanged = true
        results.push({ ok: true, seq, overwrote: a.victim })
      }
    }
    // Counters (and the seq floor) go down first: power lost before the records land over-counts a loss,
    // never hides one, and cannot take the newest seq with it.
    if (countersChanged || saveFloor) this.#saveCounters()
    for (const w of writes) this.#store.write(w.slot, w.punch, w.payload, w.bytes)
    if (writes.length > 0) this.#store.sync()
    index.commit()
    if (countersChanged) this.#log?.warn({ refused: c.refused, overwritten: c.overwritten, expired: c.expired }, 'ring full: punches refused or overwritten')
    return results
  }

  markAcked (seqs: Iterable<number>): number {
    return this.#mark(seqs, SLOT_ACKED)
  }

  markRejected (seqs: Iterable<number>): number {
    const n = this.#mark(seqs, SLOT_REJECTED)
    if (n > 0) {
      this.#counters.rejected += n
      this.#saveCounters()
    }
    return n
  }

  pending (q: PendingQuery): Punch[] {
    this.#assertOpen()
    const out: Punch[] = []
    let exclude = q.exclude
    for (;;) {
      const slots = this.#index.pendingSlots(q.order, q.limit - out.length, exclude)
      let lost = 0
      for (const s of slots) {
        const p = this.#readSlot(s)
        if (p === undefined) lost++
        else out.push(p)
      }
      if (lost === 0) return out
      // A record went bad since open and is now out of the index: look further to fill the limit.
      const taken = new Set(out.map(p => p.seq))
      const outer = q.exclude
      exclude = seq => taken.has(seq) || (outer !== undefined && outer(seq))
    }
  }

  read (seqs: readonly number[]): Punch[] {
    this.#assertOpen()
    const out: Punch[] = []
    for (const seq of seqs) {
      const s = this.#index.slotOf(seq)
      if (s < 0) continue
      const p = this.#readSlot(s)
      if (p !== undefined) out.push(p)
    }
    return out
  }

  stats (): RingStats {
    return {
      capacity: this.capacity,
      pending: this.#index.pendingCount,
      oldestPendingTs: this.#index.oldestPendingTs(),
      ...this.#counters,
      corrupt: this.#corrupt
    }
  }

  sync (): void {
    this.#assertOpen()
    this.#store.sync()
  }

  close (): void {
    if (this.#closed) return
    this.#closed = true
    this.#store.close()
  }

  #mark (seqs: Iterable<number>, state: SlotState): number {
    this.#assertOpen()
    let n = 0
    for (const seq of seqs) {
      const s = this.#index.slotOf(seq)
      if (s < 0 || this.#index.state[s] !== SLOT_PENDING) continue
      this.#index.setState(s, state)
      this.#store.writeState(s, state)
      n++
    }
    return n
  }

  #readSlot (slot: number): Punch | undefined {
    const seq = this.#index.seq[slot]
    const p = this.#store.read(slot, seq)
    if (p === undefined) {
      this.#index.setState(slot, SLOT_EMPTY)
      this.#corrupt++
      this.#log?.error({ slot, seq }, 'ring record unreadable; dropped')
    }
    return p
  }

  #saveCounters (): void {
    this.#store.saveCounters({ ...this.#counters }, this.#index.maxSeq)
  }

  #fullMessage (): string {
    const hours = Math.round(this.#retentionMs / 3_600_000 * 10) / 10
    return `ring full: all ${this.capacity} slots hold punches not yet acknowledged by the gateway and younger than the ${hours} h retention; punch refused`
  }

  #assertOpen (): void {
    if (this.#closed) throw new Error('ring is closed')
  }
}
