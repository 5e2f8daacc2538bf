/**
 * The device's punch store: a bounded, power-loss-safe ring (docs/ARCHITECTURE.md, decisions 1, 4, 5), on a
 * file or in memory, both running the same index and allocation code.
 */
import { randomBytes } from 'node:crypto'
import { isEpoch } from '../../shared/punch.js'
import type { Logger } from '../../shared/log.js'
import type { Ring, RingOptions } from './api.js'
import { openFileStore } from './file-store.js'
import { MemoryStore } from './memory-store.js'
import { PunchRing, resolveRingOptions } from './ring.js'
import { SlotIndex } from './slot-index.js'

export type { AppendResult, FullPolicy, PendingQuery, Ring, RingCounters, RingOptions, RingStats } from './api.js'
export { DEFAULT_RETENTION_MS } from './api.js'
export { MAX_CAPACITY } from './ring.js'
export { RECORD_SIZE, MAX_PAYLOAD_BYTES } from './record.js'
export { HEADER_SIZE } from './header.js'

export interface FileRingOptions extends RingOptions {
  path: string
  /**
   * When the file is unreadable or was formatted for another capacity, reformat it (new epoch, every
   * record lost) instead of refusing to open. A file that opens as asked is never reformatted.
   */
  format?: boolean
  log?: Logger
}

export interface FileRing extends Ring {
  /** Why the file was formatted while opening it ('new file', 'reformatted: …'); undefined if it opened as it was. */
  readonly formatted: string | undefined
}

/** Opens the ring file at `path`, creating and preallocating it if missing. Throws, with what to do, if it cannot. */
export function openFileRing (o: FileRingOptions): FileRing {
  const r = resolveRingOptions(o)
  const opened = openFileStore({ path: o.path, capacity: r.capacity, format: o.format === true, now: r.now, log: o.log })
  return new PunchRing(opened.store, opened.index, {
    ...r,
    epoch: opened.epoch,
    counters: opened.counters,
    corrupt: opened.corrupt,
    formatted: opened.formatted,
    log: o.log
  })
}

export interface MemoryRingOptions extends RingOptions {
  /** 8 lowercase hex chars; random by default, as a freshly formatted file would get */
  epoch?: string
  log?: Logger
}

/** slots an in-memory ring's index allocates at start; it doubles from there up to the capacity */
const MEMORY_RING_INITIAL_SLOTS = 64

export function createMemoryRing (o: MemoryRingOptions): Ring {
  const r = resolveRingOptions(o)
  if (o.epoch !== undefined && !isEpoch(o.epoch)) throw new RangeError(`ring epoch: must be 8 lowercase hex characters (got ${String(o.epoch)})`)
  // Grows as used (slot-index.ts): the simulator runs thousands of these.
  return new PunchRing(new MemoryStore(), new SlotIndex(r.capacity, MEMORY_RING_INITIAL_SLOTS), {
    ...r,
    epoch: o.epoch ?? randomBytes(4).toString('hex'),
    counters: { refused: 0, overwritten: 0, expired: 0, rejected: 0 },
    corrupt: 0,
    log: o.log
  })
}
