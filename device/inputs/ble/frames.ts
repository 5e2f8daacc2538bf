/**
 * Punch and ack frames of the BLE GATT layout (docs/PROTOCOL.md, "BLE GATT layout"), version 1. Binary,
 * big-endian, ending in a CRC-16/CCITT-FALSE so a frame glued together from the wrong fragments is
 * caught, not punched.
 * Nothing here throws on bad input: every function returns a result naming the field and the rule.
 */
import { LIMITS, type ClockState, type Location, type PunchKind, type PunchMethod } from '../../../shared/punch.js'
import type { PunchOutcome } from '../input.js'

export const FRAME_VERSION = 1
/**
 * a reassembled punch frame, CRC included; the largest valid v1 frame is 292 bytes (header 15, emp 64,
 * loc 10, reason 1 + 200, CRC 2)
 */
export const MAX_FRAME_BYTES = 300
/** header (15) + a 1-byte emp + CRC (2) */
export const MIN_FRAME_BYTES = 18
export const ACK_FRAME_BYTES = 14
export const MAX_N = 0xffff_ffff
const MAX_EMP_BYTES = LIMITS.maxEmpLength
const MAX_REASON_BYTES = LIMITS.maxManualReasonLength
const MAX_U48 = 2 ** 48 - 1

/** Wire codes: these tables are the contract, not the order of PUNCH_KINDS or PUNCH_METHODS. */
export const KIND_CODES: ReadonlyArray<PunchKind | undefined> = [undefined, 'in', 'out', 'break-out', 'break-in', 'auto']
export const METHOD_CODES: readonly PunchMethod[] = ['card', 'fingerprint', 'face', 'pin', 'ble', 'gps', 'manual']
export const ACK_OUTCOMES = ['accepted', 'duplicate-read', 'storage-full', 'too-large', 'invalid'] as const
export type AckOutcome = typeof ACK_OUTCOMES[number]

const FLAG_LOC = 0x01
const FLAG_MANUAL = 0x02
const CLOCK_MASK = 0x0c
const CLOCK_SYNCED = 0x04
const CLOCK_UNSYNCED = 0x08
const FLAGS_RESERVED = 0xf0

export interface PunchFrame {
  /** the peer's own sequence number, 1..2^32-1, new for every punch it stores */
  n: number
  /** ms since 1970 on the peer's clock */
  ts: number
  emp: string
  method: PunchMethod
  /** absent: the device decides, as for a reader without in/out keys */
  kind?: PunchKind
  /** absent: the peer does not say */
  clock?: ClockState
  loc?: Location
  manual?: { reason: string }
}

export interface AckFrame {
  n: number
  outcome: AckOutcome
  /** the device's seq for the punch (accepted) or the earlier punch (duplicate-read); 0 when refused */
  seq: number
}

export interface FrameError { field: string, rule: string }
export type FrameProblem = 'length' | 'checksum' | 'version' | 'field'
export type PunchFrameDecode =
  | { ok: true, frame: PunchFrame }
  /** `n` is set when the checksum held and n was readable, so the peer can be told "refused: invalid" */
  | { ok: false, problem: FrameProblem, error: FrameError, n?: number }
export type AckFrameDecode = { ok: true, ack: AckFrame } | { ok: false, problem: FrameProblem, error: FrameError }
export type Encoded = { ok: true, bytes: Buffer } | { ok: false, error: FrameError }

export function describeFrameError (e: FrameError): string {
  return `${e.field}: ${e.rule}`
}

/** CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection ("123456789" gives 0x29B1). */
export function crc16 (bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff
  for (let i = start; i < end; i++) {
    crc ^= bytes[i] << 8
    for (let b = 0; b < 8; b++) crc = (crc & 0x8000) !== 0 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
  }
  return crc
}

// ignoreBOM: keep a leading U+FEFF as the character it is. Found by fuzzing (test/fuzz-ble.test.ts): the
// default strips it, so a watch's emp "\uFEFF1234" was punched as "1234" (and a lone BOM as an empty emp).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
/** Half of a surrogate pair on its own: a JS string can hold one, UTF-8 cannot (in a `u` regex a whole pair is one code point). */
const LONE_SURROGATE = /\p{Cs}/u
const err = (field: string, rule: string): FrameError => ({ field, rule })

/** The rules on values, shared by the encoder (before writing) and the decoder (after reading). */
export function checkPunchFrame (f: PunchFrame): FrameError | undefined {
  if (!Number.isInteger(f.n) || f.n < 1 || f.n > MAX_N) return err('n', `must be an integer between 1 and ${MAX_N}`)
  if (!Number.isInteger(f.ts) || f.ts < LIMITS.minTs || f.ts > LIMITS.maxTs) return err('ts', 'must be an integer between 2000-01-01 and 2100-01-01 in ms')
  // A lone surrogate would go out as U+FFFD and come back as another emp. Found by fuzzing (test/fuzz-ble.test.ts).
  const empBytes = typeof f.emp === 'string' && !LONE_SURROGATE.test(f.emp) ? Buffer.byteLength(f.emp) : 0
  if (empBytes < 1 || empBytes > MAX_EMP_BYTES) return err('emp', `must be 1 to ${MAX_EMP_BYTES} bytes of UTF-8`)
  if (f.kind !== undefined && !KIND_CODES.includes(f.kind)) return err('kind', `must be one of ${KIND_CODES.slice(1).join(', ')} or absent`)
  if (!METHOD_CODES.includes(f.method)) return err('method', `must be one of ${METHOD_CODES.join(', ')}`)
  if (f.clock !== undefined && f.clock !== 'synced' && f.clock !== 'unsynced') return err('clock', 'must be synced, unsynced or absent')
  if (f.loc !== undefined) {
    if (typeof f.loc !== 'object' || f.loc === null) return err('loc', 'must be {lat, lon, acc}')
    const { lat, lon, acc } = f.loc
    if (typeof lat !== 'number' || !(lat >= -90 && lat <= 90)) return err('loc.lat', 'must be between -90 and 90')
    if (typeof lon !== 'number' || !(lon >= -180 && lon <= 180)) return err('loc.lon', 'must be between -180 and 180')
    if (typeof acc !== 'number' || !(acc >= 0) || acc === Infinity) return err('loc.acc', 'must be a number of metres >= 0')
  }
  if (f.method === 'manual') {
    if (f.manual === undefined) return err('manual', 'required when method is manual')
    const reason: unknown = (f.manual as { reason?: unknown } | null)?.reason
    const reasonBytes = typeof reason === 'string' && !LONE_SURROGATE.test(reason) ? Buffer.byteLength(reason) : 0
    if (reasonBytes < 1 || reasonBytes > MAX_REASON_BYTES) return err('manual.reason', `must be 1 to ${MAX_REASON_BYTES} bytes of UTF-8`)
  } else if (f.manual !== undefined) {
    return err('manual', 'allowed only when method is manual')
  }
  return undefined
}

export function encodePunchFrame (f: PunchFrame): Encoded {
  const bad = checkPunchFrame(f)
  if (bad !== undefined) return { ok: false, error: bad }
  const emp = Buffer.from(f.emp)
  const reason = f.manual === undefined ? undefined : Buffer.from(f.manual.reason)
  const size = 15 + emp.length + (f.loc === undefined ? 0 : 10) + (reason === undefined ? 0 : 1 + reason.length) + 2
  const out = Buffer.alloc(size)
  let flags = 0
  if (f.loc !== undefined) flags |= FLAG_LOC
  if (reason !== undefined) flags |= FLAG_MANUAL
  if (f.clock === 'synced') flags |= CLOCK_SYNCED
  if (f.clock === 'unsynced') flags |= CLOCK_UNSYNCED
  out[0] = FRAME_VERSION
  out[1] = flags
  out.writeUInt32BE(f.n, 2)
  out.writeUIntBE(f.ts, 6, 6)
  out[12] = KIND_CODES.indexOf(f.kind)
  out[13] = METHOD_CODES.indexOf(f.method)
  out[14] = emp.length
  let pos = 15 + emp.copy(out, 15)
  if (f.loc !== undefined) {
    out.writeInt32BE(Math.round(f.loc.lat * 1e7), pos)
    out.writeInt32BE(Math.round(f.loc.lon * 1e7), pos + 4)
    // 65535 reads "65 km or worse": beyond that a radius says nothing about a workplace anyway.
    out.writeUInt16BE(Math.min(0xffff, Math.round(f.loc.acc)), pos + 8)
    pos += 10
  }
  if (reason !== undefined) {
    out[pos] = reason.length
    pos += 1 + reason.copy(out, pos + 1)
  }
  out.writeUInt16BE(crc16(out, 0, pos), pos)
  return { ok: true, bytes: out }
}

export function decodePunchFrame (bytes: Uint8Array): PunchFrameDecode {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (b.length < MIN_FRAME_BYTES || b.length > MAX_FRAME_BYTES) {
    return { ok: false, problem: 'length', error: err('frame', `must be ${MIN_FRAME_BYTES} to ${MAX_FRAME_BYTES} bytes (got ${b.length})`) }
  }
  const body = b.length - 2
  if (crc16(b, 0, body) !== b.readUInt16BE(body)) {
    return { ok: false, problem: 'checksum', error: err('crc', `must be the CRC-16/CCITT-FALSE of the ${body} bytes before it`) }
  }
  if (b[0] !== FRAME_VERSION) return { ok: false, problem: 'version', error: err('version', `must be ${FRAME_VERSION} (got ${b[0]})`) }
  const n = b.readUInt32BE(2)
  const fail = (field: string, rule: string): PunchFrameDecode =>
    ({ ok: false, problem: 'field', error: err(field, rule), ...(n >= 1 ? { n } : {}) })
  const flags = b[1]
  if ((flags & FLAGS_RESERVED) !== 0) return fail('flags', 'bits 4-7 are reserved and must be 0')
  if ((flags & CLOCK_MASK) === CLOCK_MASK) return fail('flags', 'clock bits 2-3 must be 00 (not given), 01 (synced) or 10 (unsynced)')
  if (b[12] >= KIND_CODES.length) return fail('kind', `must be a code 0 to ${KIND_CODES.length - 1} (got ${b[12]})`)
  if (b[13] >= METHOD_CODES.length) return fail('method', `must be a code 0 to ${METHOD_CODES.length - 1} (got ${b[13]})`)

  let pos = 15
  const empLength = b[14]
  if (empLength < 1 || empLength > MAX_EMP_BYTES) return fail('emp', `length must be 1 to ${MAX_EMP_BYTES} bytes (got ${empLength})`)
  if (pos + empLength > body) return fail('emp', 'runs past the end of the frame')
  const emp = readText(b, pos, empLength)
  if (emp === undefined) return fail('emp', 'must be valid UTF-8')
  pos += empLength

  const frame: PunchFrame = { n, ts: b.readUIntBE(6, 6), emp, method: METHOD_CODES[b[13]] }
  const kind = KIND_CODES[b[12]]
  if (kind !== undefined) frame.kind = kind
  if ((flags & CLOCK_MASK) !== 0) frame.clock = (flags & CLOCK_SYNCED) !== 0 ? 'synced' : 'unsynced'
  if ((flags & FLAG_LOC) !== 0) {
    if (pos + 10 > body) return fail('loc', 'runs past the end of the frame')
    frame.loc = { lat: b.readInt32BE(pos) / 1e7, lon: b.readInt32BE(pos + 4) / 1e7, acc: b.readUInt16BE(pos + 8) }
    pos += 10
  }
  if ((flags & FLAG_MANUAL) !== 0) {
    if (pos + 1 > body) return fail('manual.reason', 'runs past the end of the frame')
    const length = b[pos]
    if (length < 1 || length > MAX_REASON_BYTES) return fail('manual.reason', `length must be 1 to ${MAX_REASON_BYTES} bytes (got ${length})`)
    if (pos + 1 + length > body) return fail('manual.reason', 'runs past the end of the frame')
    const reason = readText(b, pos + 1, length)
    if (reason === undefined) return fail('manual.reason', 'must be valid UTF-8')
    frame.manual = { reason }
    pos += 1 + length
  }
  if (pos !== body) return fail('frame', `${body - pos} bytes after the last field`)
  const bad = checkPunchFrame(frame)
  if (bad !== undefined) return fail(bad.field, bad.rule)
  return { ok: true, frame }
}

function readText (b: Buffer, start: number, length: number): string | undefined {
  try {
    return utf8.decode(b.subarray(start, start + length))
  } catch {
    return undefined
  }
}

/** What the device writes back for the runtime's outcome of punch `n`. */
export function ackForOutcome (n: number, o: PunchOutcome): AckFrame {
  if (o.outcome === 'accepted') return { n, outcome: 'accepted', seq: o.seq }
  if (o.outcome === 'duplicate-read') return { n, outcome: 'duplicate-read', seq: o.previousSeq }
  // A failed write is, for the watch, like a full store: keep the punch and offer it again later.
  return { n, outcome: o.reason === 'storage-error' ? 'storage-full' : o.reason, seq: 0 }
}

/** Whether the peer may delete the punch: everything but storage-full, which is worth sending again later. */
export function ackFreesPunch (outcome: AckOutcome): boolean {
  return outcome !== 'storage-full'
}

export function encodeAckFrame (a: AckFrame): Encoded {
  if (!Number.isInteger(a.n) || a.n < 1 || a.n > MAX_N) return { ok: false, error: err('n', `must be an integer between 1 and ${MAX_N}`) }
  const code = ACK_OUTCOMES.indexOf(a.outcome)
  if (code < 0) return { ok: false, error: err('outcome', `must be one of ${ACK_OUTCOMES.join(', ')}`) }
  if (!Number.isInteger(a.seq) || a.seq < 0 || a.seq > MAX_U48) return { ok: false, error: err('seq', `must be an integer between 0 and ${MAX_U48}`) }
  const out = Buffer.alloc(ACK_FRAME_BYTES)
  out[0] = FRAME_VERSION
  out[1] = code
  out.writeUInt32BE(a.n, 2)
  out.writeUIntBE(a.seq, 6, 6)
  out.writeUInt16BE(crc16(out, 0, 12), 12)
  return { ok: true, bytes: out }
}

export function decodeAckFrame (bytes: Uint8Array): AckFrameDecode {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (b.length !== ACK_FRAME_BYTES) return { ok: false, problem: 'length', error: err('frame', `must be ${ACK_FRAME_BYTES} bytes (got ${b.length})`) }
  if (crc16(b, 0, 12) !== b.readUInt16BE(12)) return { ok: false, problem: 'checksum', error: err('crc', 'must be the CRC-16/CCITT-FALSE of the 12 bytes before it') }
  if (b[0] !== FRAME_VERSION) return { ok: false, problem: 'version', error: err('version', `must be ${FRAME_VERSION} (got ${b[0]})`) }
  const outcome = ACK_OUTCOMES[b[1]]
  if (outcome === undefined) return { ok: false, problem: 'field', error: err('outcome', `must be a code 0 to ${ACK_OUTCOMES.length - 1} (got ${b[1]})`) }
  const n = b.readUInt32BE(2)
  if (n < 1) return { ok: false, problem: 'field', error: err('n', `must be an integer between 1 and ${MAX_N}`) }
  return { ok: true, ack: { n, outcome, seq: b.readUIntBE(6, 6) } }
}
