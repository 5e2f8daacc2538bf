/**
 * One punch on the medium: a fixed-size record whose body a CRC covers, and one state byte outside the
 * body, so acking is a one-byte write that can never tear the punch itself (docs/ARCHITECTURE.md, decision 5).
 *
 *   offset  size
 *        0     4  magic "PLR1"
 *        4     1  record format version (1)
 *        5     1  reserved, 0
 *        6     2  payload length, u16 LE
 *        8     4  epoch: the 4 bytes its 8 hex chars spell
 *       12     8  seq, f64 LE (exact up to 2^53)
 *       20     8  ts, f64 LE
 *       28     n  payload: compact JSON {emp, kind, method, clock, loc?, manual?, up?} in UTF-8, then zeros
 *     1016     4  CRC32 of bytes 0..1015, u32 LE
 *     1020     3  reserved, 0
 *     1023     1  state: 'P' pending, 'A' acked, 'R' rejected; any other value reads as pending
 *
 * 1024 bytes, not 512: a manual punch at the contract's limits (64-char emp, 200-char reason) written in
 * CJK takes about 950 bytes of JSON, and refusing a supervisor's correction for its script would be a bug.
 * Payloads that still do not fit (JSON escapes of control characters) are refused at append.
 */
import { crc32 } from 'node:zlib'
import { isSeq, type Punch, type PunchInput } from '../../shared/punch.js'
import { SLOT_ACKED, SLOT_PENDING, SLOT_REJECTED, type SlotState } from './slot-index.js'

export const RECORD_SIZE = 1024
const MAGIC = 0x31524c50 // "PLR1" read as u32 LE
const VERSION = 1
const PAYLOAD_OFFSET = 28
const CRC_OFFSET = 1016
export const STATE_OFFSET = 1023
export const MAX_PAYLOAD_BYTES = CRC_OFFSET - PAYLOAD_OFFSET

const STATE_BYTE = { pending: 0x50, acked: 0x41, rejected: 0x52 } as const
const ZERO_RECORD = Buffer.alloc(RECORD_SIZE)

export function stateByte (state: SlotState): number {
  if (state === SLOT_ACKED) return STATE_BYTE.acked
  if (state === SLOT_REJECTED) return STATE_BYTE.rejected
  return STATE_BYTE.pending
}

/** Unknown values read as pending: the worst outcome is a resend, which the gateway dedups. */
function slotStateOf (byte: number): SlotState {
  if (byte === STATE_BYTE.acked) return SLOT_ACKED
  if (byte === STATE_BYTE.rejected) return SLOT_REJECTED
  return SLOT_PENDING
}

/** Exactly the fields a record keeps; what the memory twin stores too, so both rings return the same. */
export function toPunch (seq: number, p: PunchInput): Punch {
  const out: Punch = { seq, ts: p.ts, emp: p.emp, kind: p.kind, method: p.method, clock: p.clock }
  if (p.loc !== undefined) out.loc = { lat: p.loc.lat, lon: p.loc.lon, acc: p.loc.acc }
  if (p.manual !== undefined) out.manual = { reason: p.manual.reason }
  if (Number.isSafeInteger(p.up)) out.up = p.up
  return out
}

export function payloadOf (p: PunchInput): string {
  return JSON.stringify({
    emp: p.emp,
    kind: p.kind,
    method: p.method,
    clock: p.clock,
    loc: p.loc === undefined ? undefined : { lat: p.loc.lat, lon: p.loc.lon, acc: p.loc.acc },
    manual: p.manual === undefined ? undefined : { reason: p.manual.reason },
    up: p.up
  })
}

/** Fills `out` (RECORD_SIZE bytes) with a pending record. `payloadBytes` must be Buffer.byteLength(payload) <= MAX_PAYLOAD_BYTES. */
export function encodeRecord (out: Buffer, epoch: Buffer, seq: number, ts: number, payload: string, payloadBytes: number): void {
  out.fill(0)
  out.writeUInt32LE(MAGIC, 0)
  out.writeUInt8(VERSION, 4)
  out.writeUInt16LE(payloadBytes, 6)
  epoch.copy(out, 8, 0, 4)
  out.writeDoubleLE(seq, 12)
  out.writeDoubleLE(ts, 20)
  out.write(payload, PAYLOAD_OFFSET, payloadBytes, 'utf8')
  out.writeUInt32LE(crc32(out.subarray(0, CRC_OFFSET)), CRC_OFFSET)
  out[STATE_OFFSET] = STATE_BYTE.pending
}

export interface RecordHead {
  seq: number
  ts: number
  state: SlotState
}

/**
 * What a slot holds: a record of this epoch, nothing (never written since format), or anything else
 * (a torn write, bit rot, a stranger's record), which recovery skips and counts.
 */
export function inspectRecord (buf: Buffer, at: number, epoch: Buffer): RecordHead | 'empty' | 'corrupt' {
  const body = buf.subarray(at, at + CRC_OFFSET)
  if (buf.readUInt32LE(at) === MAGIC &&
      buf[at + 4] === VERSION &&
      buf.readUInt16LE(at + 6) <= MAX_PAYLOAD_BYTES &&
      buf.readUInt32LE(at + CRC_OFFSET) === crc32(body)) {
    const seq = buf.readDoubleLE(at + 12)
    if (epoch.compare(buf, at + 8, at + 12, 0, 4) !== 0 || !isSeq(seq)) return 'corrupt'
    return { seq, ts: buf.readDoubleLE(at + 20), state: slotStateOf(buf[at + STATE_OFFSET]) }
  }
  return buf.compare(ZERO_RECORD, 0, STATE_OFFSET, at, at + STATE_OFFSET) === 0 ? 'empty' : 'corrupt'
}

/** The punch in a record that inspectRecord accepted, or undefined if its payload does not parse. */
export function decodePunch (buf: Buffer, at: number, head: RecordHead): Punch | undefined {
  const n = buf.readUInt16LE(at + 6)
  let o: Record<string, any>
  try {
    o = JSON.parse(buf.toString('utf8', at + PAYLOAD_OFFSET, at + PAYLOAD_OFFSET + n))
  } catch {
    return undefined
  }
  if (typeof o !== 'object' || o === null) return undefined
  // loc and manual, when there, must be objects: found by fuzzing (test/fuzz-ring-record.test.ts), a sealed
  // record whose payload said "loc": null made toPunch throw, out of Ring.read and into the uplink, instead
  // of being counted and dropped as unreadable. This build never writes one; another build or a bug might.
  if (!objectOrAbsent(o.loc) || !objectOrAbsent(o.manual)) return undefined
  return toPunch(head.seq, { ts: head.ts, emp: o.emp, kind: o.kind, method: o.method, clock: o.clock, loc: o.loc, manual: o.manual, up: o.up })
}

function objectOrAbsent (v: unknown): boolean {
  return v === undefined || (typeof v === 'object' && v !== null)
}
