/**
 * The ring file's header region (HEADER_SIZE bytes, before slot 0), made of 512-byte blocks:
 *
 *   block 0: format, written once at format time
 *        0  8  magic "PUNCHRNG"
 *        8  2  file format version (1), u16 LE
 *       10  2  record size, u16 LE
 *       12  4  header region size, u32 LE
 *       16  4  capacity (slots), u32 LE
 *       20  4  epoch: the 4 bytes its 8 hex chars spell
 *       24  8  formatted at, ms since 1970, f64 LE
 *      508  4  CRC32 of bytes 0..507, u32 LE
 *
 *   blocks 1 and 2: counters A and B, written alternately
 *        0  4  magic "PLCB"
 *        4  4  reserved, 0
 *        8  8  generation, f64 LE
 *       16  8  refused      24  8  overwritten      32  8  expired      40  8  rejected   (f64 LE)
 *       48  8  seq floor: the highest seq assigned when the block was written
 *      508  4  CRC32 of bytes 0..507, u32 LE
 *
 * Counters change rarely (a refusal, an overwrite, a rejection), so each change rewrites the older block
 * and syncs: power lost mid-write leaves the other block, one change behind, never a torn counter.
 * Records start at HEADER_SIZE, a multiple of 4096 so no record straddles a flash page.
 */
import { crc32 } from 'node:zlib'
import type { RingCounters } from './api.js'

export const BLOCK_SIZE = 512
export const HEADER_SIZE = 4096
export const COUNTER_BLOCK_OFFSETS = [BLOCK_SIZE, 2 * BLOCK_SIZE] as const

const FORMAT_MAGIC = Buffer.from('PUNCHRNG', 'latin1')
const FORMAT_VERSION = 1
const COUNTERS_MAGIC = 0x4243_4c50 // "PLCB" read as u32 LE
const CRC_OFFSET = BLOCK_SIZE - 4

export interface FormatHeader {
  recordSize: number
  capacity: number
  epoch: string
  formattedAt: number
}

export interface CounterBlock extends RingCounters {
  generation: number
  seqFloor: number
}

function seal (block: Buffer): Buffer {
  block.writeUInt32LE(crc32(block.subarray(0, CRC_OFFSET)), CRC_OFFSET)
  return block
}

function sealed (block: Buffer): boolean {
  return block.length === BLOCK_SIZE && block.readUInt32LE(CRC_OFFSET) === crc32(block.subarray(0, CRC_OFFSET))
}

export function encodeFormatHeader (h: FormatHeader): Buffer {
  const b = Buffer.alloc(BLOCK_SIZE)
  FORMAT_MAGIC.copy(b, 0)
  b.writeUInt16LE(FORMAT_VERSION, 8)
  b.writeUInt16LE(h.recordSize, 10)
  b.writeUInt32LE(HEADER_SIZE, 12)
  b.writeUInt32LE(h.capacity, 16)
  Buffer.from(h.epoch, 'hex').copy(b, 20)
  b.writeDoubleLE(h.formattedAt, 24)
  return seal(b)
}

/** The header, or why it cannot be trusted, phrased to follow "the ring file …". */
export function decodeFormatHeader (b: Buffer): FormatHeader | { error: string } {
  if (b.length < BLOCK_SIZE || FORMAT_MAGIC.compare(b, 0, 8) !== 0) return { error: 'is not a punch ring (no PUNCHRNG magic)' }
  if (!sealed(b.subarray(0, BLOCK_SIZE))) return { error: 'has a damaged header (CRC mismatch)' }
  const version = b.readUInt16LE(8)
  if (version !== FORMAT_VERSION) return { error: `has format version ${version}; this build reads ${FORMAT_VERSION}` }
  const headerSize = b.readUInt32LE(12)
  if (headerSize !== HEADER_SIZE) return { error: `has a ${headerSize}-byte header; this build expects ${HEADER_SIZE}` }
  return {
    recordSize: b.readUInt16LE(10),
    capacity: b.readUInt32LE(16),
    epoch: b.toString('hex', 20, 24),
    formattedAt: b.readDoubleLE(24)
  }
}

export function encodeCounterBlock (c: CounterBlock): Buffer {
  const b = Buffer.alloc(BLOCK_SIZE)
  b.writeUInt32LE(COUNTERS_MAGIC, 0)
  b.writeDoubleLE(c.generation, 8)
  b.writeDoubleLE(c.refused, 16)
  b.writeDoubleLE(c.overwritten, 24)
  b.writeDoubleLE(c.expired, 32)
  b.writeDoubleLE(c.rejected, 40)
  b.writeDoubleLE(c.seqFloor, 48)
  return seal(b)
}

export function decodeCounterBlock (b: Buffer): CounterBlock | undefined {
  if (!sealed(b) || b.readUInt32LE(0) !== COUNTERS_MAGIC) return undefined
  return {
    generation: b.readDoubleLE(8),
    refused: b.readDoubleLE(16),
    overwritten: b.readDoubleLE(24),
    expired: b.readDoubleLE(32),
    rejected: b.readDoubleLE(40),
    seqFloor: b.readDoubleLE(48)
  }
}
