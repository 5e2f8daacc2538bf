/**
 * The ring on a preallocated file standing in for flash (layouts in header.ts and record.ts). Synchronous
 * I/O on purpose: on a device it keeps the crash story simple, and a write is done when the call returns.
 * The file never changes size after format, so fdatasync (data only, no metadata) is all a sync needs.
 *
 * Opening scans every slot instead of trusting a head pointer (docs/ARCHITECTURE.md, decision 5): a record
 * with a valid CRC and this epoch counts, a zeroed slot is empty, anything else is a torn or damaged record,
 * skipped and counted.
 */
import {
  closeSync, existsSync, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync,
  renameSync, rmSync, statSync, writeSync
} from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname } from 'node:path'
import { tryLock } from 'fs-native-extensions'
import type { Punch } from '../../shared/punch.js'
import type { Logger } from '../../shared/log.js'
import type { RingCounters } from './api.js'
import type { RingStore } from './ring.js'
import {
  BLOCK_SIZE, COUNTER_BLOCK_OFFSETS, HEADER_SIZE,
  decodeCounterBlock, decodeFormatHeader, encodeCounterBlock, encodeFormatHeader, type FormatHeader
} from './header.js'
import { RECORD_SIZE, STATE_OFFSET, decodePunch, encodeRecord, inspectRecord, stateByte } from './record.js'
import { SlotIndex, type SlotState } from './slot-index.js'

const SCAN_CHUNK = 256

const slotOffset = (slot: number): number => HEADER_SIZE + slot * RECORD_SIZE

function writeFully (fd: number, buf: Buffer, position: number): void {
  let done = 0
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done)
}

/** Reads `length` bytes, zero-filling past the end of the file. */
function readFully (fd: number, buf: Buffer, length: number, position: number): void {
  let done = 0
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done)
    if (n === 0) { buf.fill(0, done, length); return }
    done += n
  }
}

function syncDir (dir: string): void {
  const fd = openSync(dir, 'r')
  try { fsyncSync(fd) } finally { closeSync(fd) }
}

/**
 * Writes a fresh ring (new epoch, zeroed slots) beside `path` and renames it into place, so a power cut
 * while formatting leaves either the old file or the new one, never half of one. Returns the new epoch.
 */
function formatFile (path: string, capacity: number, now: number): string {
  const epoch = randomBytes(4).toString('hex')
  const tmp = path + '.formatting'
  mkdirSync(dirname(path), { recursive: true })
  const fd = openSync(tmp, 'w')
  try {
    const head = Buffer.alloc(HEADER_SIZE)
    encodeFormatHeader({ recordSize: RECORD_SIZE, capacity, epoch, formattedAt: now }).copy(head, 0)
    encodeCounterBlock({ generation: 1, refused: 0, overwritten: 0, expired: 0, rejected: 0, seqFloor: 0 }).copy(head, COUNTER_BLOCK_OFFSETS[0])
    writeFully(fd, head, 0)
    // Real zeros rather than a sparse file: the space is claimed now, so an append can never meet ENOSPC.
    const end = slotOffset(capacity)
    const zeros = Buffer.alloc(Math.min(1 << 20, end - HEADER_SIZE))
    for (let pos = HEADER_SIZE; pos < end; pos += zeros.length) writeFully(fd, zeros.subarray(0, Math.min(zeros.length, end - pos)), pos)
    fsyncSync(fd)
  } catch (err) {
    closeSync(fd)
    rmSync(tmp, { force: true })
    throw err
  }
  closeSync(fd)
  renameSync(tmp, path)
  syncDir(dirname(path))
  return epoch
}

/**
 * One process per ring: two runtimes on one file would hand out the same seqs and overwrite each other's
 * slots. An exclusive lock on the open file (fs-native-extensions; docs/DESIGN-NOTES.md, "One process per
 * data directory and per ring"), held until the store closes and dropped by the kernel if the process
 * dies, so a restart after a power cut or kill -9 never finds a stale one. Also refused: the path
 * replaced under us between open and lock (another process formatting it), which would lock a file no
 * longer in use.
 */
function openLocked (path: string): number {
  const fd = openSync(path, 'r+')
  let locked = false
  try {
    locked = tryLock(fd)
    if (!locked) throw new Error(`ring file ${path} is in use by another process: one process per ring (stop the other device runtime, or give this one its own ring.path)`)
    if (fstatSync(fd).ino !== statSync(path).ino) throw new Error(`ring file ${path} was replaced while it was being opened (another process formatting it?): try again`)
    return fd
  } catch (err) {
    closeSync(fd)
    throw err
  }
}

function readHeader (fd: number): FormatHeader | { error: string } {
  const b = Buffer.alloc(BLOCK_SIZE)
  readFully(fd, b, BLOCK_SIZE, 0)
  return decodeFormatHeader(b)
}

/** Why this header does not describe the ring asked for, phrased to follow "the ring file …". */
function mismatch (h: FormatHeader, capacity: number): string | undefined {
  if (h.recordSize !== RECORD_SIZE) return `has ${h.recordSize}-byte records; this build writes ${RECORD_SIZE}`
  if (h.capacity !== capacity) return `was formatted for ${h.capacity} slots, not ${capacity}`
  return undefined
}

export interface FileStoreOptions {
  path: string
  capacity: number
  /** reformat (new epoch, every record lost) instead of refusing a file that cannot be opened as asked */
  format: boolean
  now: () => number
  log?: Logger
}

export interface OpenedFileStore {
  store: FileStore
  index: SlotIndex
  epoch: string
  counters: RingCounters
  corrupt: number
  formatted: string | undefined
}

export function openFileStore (o: FileStoreOptions): OpenedFileStore {
  let formatted: string | undefined
  if (!existsSync(o.path)) {
    formatFile(o.path, o.capacity, o.now())
    formatted = 'new file'
  }
  let fd = openLocked(o.path)
  try {
    const found = readHeader(fd)
    let header: FormatHeader
    const problem = 'error' in found ? found.error : mismatch(found, o.capacity)
    if (problem === undefined && !('error' in found)) {
      header = found
    } else if (!o.format) {
      throw new Error(`ring file ${o.path} ${problem}: refusing to open it. Open it with format: true to start a new epoch (every record in it is lost), or point to another file`)
    } else {
      // The old file stays open, and locked, until the new one is: no other process slips in between.
      const old = fd
      formatFile(o.path, o.capacity, o.now())
      formatted = `reformatted: the file ${problem}`
      fd = openLocked(o.path)
      closeSync(old)
      const fresh = readHeader(fd)
      if ('error' in fresh) throw new Error(`ring file ${o.path} ${fresh.error} right after formatting it`)
      header = fresh
      o.log?.warn({ path: o.path, previousEpoch: 'error' in found ? undefined : found.epoch, epoch: header.epoch, reason: problem }, 'ring file reformatted; its records are gone')
    }
    return { ...recover(fd, header, o), formatted }
  } catch (err) {
    if (fd >= 0) closeSync(fd)
    throw err
  }
}

function recover (fd: number, header: FormatHeader, o: FileStoreOptions): Omit<OpenedFileStore, 'formatted'> {
  const { capacity, epoch } = header
  const size = fstatSync(fd).size
  if (size < slotOffset(capacity)) {
    o.log?.warn({ path: o.path, size, expected: slotOffset(capacity) }, 'ring file shorter than its header says; missing slots read as empty')
    ftruncateSync(fd, slotOffset(capacity))
  }

  const blocks = Buffer.alloc(2 * BLOCK_SIZE)
  readFully(fd, blocks, blocks.length, COUNTER_BLOCK_OFFSETS[0])
  const a = decodeCounterBlock(blocks.subarray(0, BLOCK_SIZE))
  const b = decodeCounterBlock(blocks.subarray(BLOCK_SIZE))
  const current = a === undefined ? b : b === undefined ? a : (b.generation > a.generation ? b : a)
  if (current === undefined) o.log?.error({ path: o.path }, 'both ring counter blocks are damaged; loss counters restart at 0')
  else if (a === undefined || b === undefined) o.log?.warn({ path: o.path }, 'one ring counter block is damaged; using the other')
  const counters = current ?? { generation: 0, refused: 0, overwritten: 0, expired: 0, rejected: 0, seqFloor: 0 }

  const epochBytes = Buffer.from(epoch, 'hex')
  const index = new SlotIndex(capacity)
  const buf = Buffer.alloc(SCAN_CHUNK * RECORD_SIZE)
  let corrupt = 0
  for (let first = 0; first < capacity; first += SCAN_CHUNK) {
    const n = Math.min(SCAN_CHUNK, capacity - first)
    readFully(fd, buf, n * RECORD_SIZE, slotOffset(first))
    for (let i = 0; i < n; i++) {
      const r = inspectRecord(buf, i * RECORD_SIZE, epochBytes)
      if (r === 'empty') continue
      if (r === 'corrupt') corrupt++
      else index.load(first + i, r.seq, r.ts, r.state)
    }
  }
  corrupt += index.settle(counters.seqFloor).length
  if (corrupt > 0) o.log?.warn({ path: o.path, corrupt }, 'ring recovery skipped damaged records (torn writes or bit rot)')

  // The next counter write goes to the block not holding the current generation.
  const next = current !== undefined && current === b ? 0 : 1
  const store = new FileStore(fd, epochBytes, counters.generation, next)
  const { refused, overwritten, expired, rejected } = counters
  return { store, index, epoch, counters: { refused, overwritten, expired, rejected }, corrupt }
}

export class FileStore implements RingStore {
  readonly #fd: number
  readonly #epoch: Buffer
  #generation: number
  #nextBlock: number
  readonly #record = Buffer.alloc(RECORD_SIZE)
  readonly #readBuf = Buffer.alloc(RECORD_SIZE)
  readonly #stateByte = Buffer.alloc(1)

  constructor (fd: number, epoch: Buffer, generation: number, nextBlock: number) {
    this.#fd = fd
    this.#epoch = epoch
    this.#generation = generation
    this.#nextBlock = nextBlock
  }

  write (slot: number, punch: Punch, payload: string, payloadBytes: number): void {
    encodeRecord(this.#record, this.#epoch, punch.seq, punch.ts, payload, payloadBytes)
    writeFully(this.#fd, this.#record, slotOffset(slot))
  }

  writeState (slot: number, state: SlotState): void {
    this.#stateByte[0] = stateByte(state)
    writeFully(this.#fd, this.#stateByte, slotOffset(slot) + STATE_OFFSET)
  }

  read (slot: number, seq: number): Punch | undefined {
    readFully(this.#fd, this.#readBuf, RECORD_SIZE, slotOffset(slot))
    const head = inspectRecord(this.#readBuf, 0, this.#epoch)
    if (typeof head !== 'object' || head.seq !== seq) return undefined
    return decodePunch(this.#readBuf, 0, head)
  }

  saveCounters (c: RingCounters, seqFloor: number): void {
    const block = encodeCounterBlock({ ...c, generation: ++this.#generation, seqFloor })
    writeFully(this.#fd, block, COUNTER_BLOCK_OFFSETS[this.#nextBlock])
    fdatasyncSync(this.#fd)
    this.#nextBlock ^= 1
  }

  sync (): void {
    fdatasyncSync(this.#fd)
  }

  close (): void {
    closeSync(this.#fd)
  }
}
