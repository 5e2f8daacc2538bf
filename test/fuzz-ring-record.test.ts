/**
 * Property-based fuzzing of the ring's on-medium decoders (device/ring/record.ts, header.ts): whatever a
 * slot or a header block holds (bit rot, a torn write, a stranger's bytes, a record whose payload is not
 * what this build writes), reading it never throws; it is a record, empty, or corrupt; a header that
 * cannot be trusted says why. What the encoders write reads back the same; a changed byte under the CRC
 * is always caught; the state byte outside it reads as pending unless it says acked or rejected.
 * Seed and run counts: test/fixtures/arbitraries.ts (FUZZ_SEED, FUZZ_RUNS; `npm run fuzz`).
 */
import t from 'tap'
import fc from 'fast-check'
import { crc32 } from 'node:zlib'
import { MAX_PAYLOAD_BYTES, RECORD_SIZE, STATE_OFFSET, decodePunch, encodeRecord, inspectRecord, payloadOf, stateByte, toPunch } from '../device/ring/record.js'
import { BLOCK_SIZE, decodeCounterBlock, decodeFormatHeader, encodeCounterBlock, encodeFormatHeader } from '../device/ring/header.js'
import { SLOT_ACKED, SLOT_PENDING, SLOT_REJECTED, type SlotState } from '../device/ring/slot-index.js'
import { isSeq, type PunchInput } from '../shared/punch.js'
import { anyJson, epoch, expect, mutations, mutateAll, property, punchInput, sameJson, seq, ts } from './fixtures/arbitraries.js'

const CRC_OFFSET = 1016

interface Written { p: PunchInput, seq: number, epoch: string }

const written: fc.Arbitrary<Written> = fc.record({ p: punchInput, seq, epoch })
  .filter(({ p }) => Buffer.byteLength(payloadOf(p)) <= MAX_PAYLOAD_BYTES)

function recordOf (w: Written): Buffer {
  const record = Buffer.alloc(RECORD_SIZE)
  const payload = payloadOf(w.p)
  encodeRecord(record, Buffer.from(w.epoch, 'hex'), w.seq, w.p.ts, payload, Buffer.byteLength(payload))
  return record
}

/** A record sealed with a good CRC around whatever bytes it is given: what only a bug or another build could write. */
function sealed (r: Buffer): Buffer {
  const b = Buffer.from(r)
  b.writeUInt32LE(crc32(b.subarray(0, CRC_OFFSET)), CRC_OFFSET)
  return b
}

/** Reads a slot as the file store does: inspect, then the punch if the head is a record. */
function read (b: Buffer, e: string): ReturnType<typeof inspectRecord> {
  const head = inspectRecord(b, 0, Buffer.from(e, 'hex'))
  if (head === 'empty' || head === 'corrupt') return head
  expect(isSeq(head.seq) && typeof head.ts === 'number', () => `head ${JSON.stringify(head)}`)
  expect([SLOT_PENDING, SLOT_ACKED, SLOT_REJECTED].includes(head.state), `state ${head.state}`)
  const p = decodePunch(b, 0, head)
  if (p !== undefined) expect(p.seq === head.seq && p.ts === head.ts, 'the punch carries the head\'s seq and ts')
  return head
}

t.test('records', async t => {
  property(t, 'any 1024 bytes, sealed or not: no throw; a record, empty or corrupt', 1500,
    fc.tuple(fc.uint8Array({ minLength: RECORD_SIZE, maxLength: RECORD_SIZE }), fc.boolean(), epoch), ([b, seal, e]) => {
      const r = Buffer.from(b)
      read(seal ? sealed(r) : r, e)
    })
  property(t, 'a written record with bytes changed (re-sealed or not): no throw', 1500,
    fc.tuple(written, mutations, fc.boolean()), ([w, ms, seal]) => {
      const m = mutateAll(recordOf(w), ms)
      const r = Buffer.concat([m, Buffer.alloc(RECORD_SIZE)]).subarray(0, RECORD_SIZE)
      read(seal ? sealed(r) : r, w.epoch)
    })
  property(t, 'a sealed record with any JSON as its payload: no throw, a punch or undefined', 1500,
    fc.tuple(written, fc.oneof(anyJson, fc.record({ emp: anyJson, kind: anyJson, method: anyJson, clock: anyJson, loc: anyJson, manual: anyJson, up: anyJson }, { requiredKeys: [] }))),
    ([w, payload]) => {
      const text = Buffer.from(JSON.stringify(payload) ?? 'null')
      if (text.length > MAX_PAYLOAD_BYTES) return
      const r = recordOf(w)
      r.fill(0, 28, CRC_OFFSET)
      text.copy(r, 28)
      r.writeUInt16LE(text.length, 6)
      read(sealed(r), w.epoch)
    })
  property(t, 'what encodeRecord writes reads back: seq, ts, pending, and the punch', 2000, written, (w) => {
    const record = recordOf(w)
    const head = inspectRecord(record, 0, Buffer.from(w.epoch, 'hex'))
    expect(typeof head === 'object' && head.seq === w.seq && head.ts === w.p.ts && head.state === SLOT_PENDING, () => JSON.stringify(head))
    const p = decodePunch(record, 0, head)
    expect(sameJson(p, toPunch(w.seq, w.p)), () => `${JSON.stringify(p)} for ${JSON.stringify(w.p)}`)
  })
  property(t, 'a byte changed under the CRC is caught; outside it, only the state byte counts', 3000,
    fc.tuple(written, fc.integer({ min: 0, max: RECORD_SIZE - 1 }), fc.integer({ min: 1, max: 255 })), ([w, at, mask]) => {
      const b = recordOf(w)
      b[at] ^= mask
      const head = inspectRecord(b, 0, Buffer.from(w.epoch, 'hex'))
      if (at < CRC_OFFSET + 4) { expect(head === 'corrupt', () => `byte ${at} changed, read as ${JSON.stringify(head)}`); return }
      expect(typeof head === 'object' && head.seq === w.seq, () => `byte ${at} is outside the CRC, read as ${JSON.stringify(head)}`)
      const states: Record<number, SlotState> = { [stateByte(SLOT_ACKED)]: SLOT_ACKED, [stateByte(SLOT_REJECTED)]: SLOT_REJECTED }
      expect(head.state === (at === STATE_OFFSET ? states[b[at]] ?? SLOT_PENDING : SLOT_PENDING), `state byte ${b[STATE_OFFSET]}`)
    })
  property(t, 'a record of another epoch is corrupt; an all-zero slot is empty', 500, fc.tuple(written, epoch), ([w, other]) => {
    if (other !== w.epoch) expect(inspectRecord(recordOf(w), 0, Buffer.from(other, 'hex')) === 'corrupt', 'stranger')
    expect(inspectRecord(Buffer.alloc(RECORD_SIZE), 0, Buffer.from(w.epoch, 'hex')) === 'empty', 'empty')
  })
})

t.test('header blocks', async t => {
  const format = fc.record({ recordSize: fc.integer({ min: 0, max: 0xffff }), capacity: fc.integer({ min: 0, max: 0xffffffff }), epoch, formattedAt: ts })
  const counters = fc.record({
    generation: fc.maxSafeNat(), refused: fc.maxSafeNat(), overwritten: fc.maxSafeNat(), expired: fc.maxSafeNat(), rejected: fc.maxSafeNat(), seqFloor: fc.maxSafeNat()
  })
  property(t, 'any block: no throw; a format header or why not; counters or nothing', 3000,
    fc.oneof(fc.uint8Array({ maxLength: 600 }).map(b => Buffer.from(b)), format.map(encodeFormatHeader), counters.map(encodeCounterBlock)).chain(b => fc.tuple(fc.constant(b), mutations)),
    ([b, ms]) => {
      const m = mutateAll(b, ms)
      const h = decodeFormatHeader(m)
      if ('error' in h) expect(typeof h.error === 'string' && /^(is|has) /.test(h.error), () => `reason ${JSON.stringify(h.error)}`)
      decodeCounterBlock(m)
    })
  property(t, 'encode then decode gives the header and the counters back; a changed byte is caught', 2000,
    fc.tuple(format, counters, fc.integer({ min: 0, max: BLOCK_SIZE - 1 }), fc.integer({ min: 1, max: 255 })), ([f, c, at, mask]) => {
      const h = encodeFormatHeader(f)
      expect(sameJson(decodeFormatHeader(h), f), 'format header')
      const k = encodeCounterBlock(c)
      expect(sameJson(decodeCounterBlock(k), c), 'counters')
      h[at] ^= mask
      k[at] ^= mask
      expect('error' in decodeFormatHeader(h), `format header byte ${at} changed`)
      expect(decodeCounterBlock(k) === undefined, `counter block byte ${at} changed`)
    })
})
