/**
 * Property-based fuzzing of the BLE layer's decoders (device/inputs/ble): punch and ack frames, and the
 * reassembly of notifications into frames. Any bytes never make them throw and every refusal names its
 * field and rule (or, for reassembly, why bytes were dropped); a frame the decoder accepts is valid and
 * is exactly what the encoder writes for it; encode then decode gives back the frame within the format's
 * precision; a damaged byte is always caught; a frame whose notifications arrive uninterrupted is
 * delivered whatever noise came before it, at any MTU.
 * Seed and run counts: test/fixtures/arbitraries.ts (FUZZ_SEED, FUZZ_RUNS; `npm run fuzz`).
 */
import t from 'tap'
import fc from 'fast-check'
import {
  ACK_FRAME_BYTES, ACK_OUTCOMES, MAX_FRAME_BYTES, METHOD_CODES, checkPunchFrame, crc16, decodeAckFrame,
  decodePunchFrame, describeFrameError, encodeAckFrame, encodePunchFrame, type AckFrame, type FrameError, type PunchFrame
} from '../device/inputs/ble/frames.js'
import { Reassembler, fragmentFrame } from '../device/inputs/ble/fragments.js'
import { LIMITS, PUNCH_KINDS } from '../shared/punch.js'
import {
  expect, expectReason, illFormedText, isSubsequence, loc, mutations, mutateAll, oddValue, property, sameJson, textBytes, ts
} from './fixtures/arbitraries.js'

const PUNCH_FIELDS = ['frame', 'crc', 'version', 'n', 'flags', 'ts', 'emp', 'kind', 'method', 'clock', 'loc', 'manual']
const ACK_FIELDS = ['frame', 'crc', 'version', 'outcome', 'n', 'seq']

function expectFrameError (e: FrameError, fields: readonly string[], context: string): void {
  expectReason(describeFrameError(e), fields, context)
}

const withCrc = (body: Uint8Array): Buffer => {
  const out = Buffer.alloc(body.length + 2)
  out.set(body)
  out.writeUInt16BE(crc16(out, 0, body.length), body.length)
  return out
}

const punchFrame: fc.Arbitrary<PunchFrame> = fc.record({
  n: fc.oneof(fc.integer({ min: 1, max: 0xffffffff }), fc.constantFrom(1, 0xffffffff)),
  ts,
  emp: textBytes(1, LIMITS.maxEmpLength),
  method: fc.constantFrom(...METHOD_CODES),
  kind: fc.constantFrom(...PUNCH_KINDS),
  clock: fc.constantFrom('synced' as const, 'unsynced' as const),
  loc,
  reason: textBytes(1, LIMITS.maxManualReasonLength)
}, { requiredKeys: ['n', 'ts', 'emp', 'method', 'reason'] }).map(({ reason, ...f }) => f.method === 'manual' ? { ...f, manual: { reason } } : f)

const encoded = (f: PunchFrame): Buffer => {
  const e = encodePunchFrame(f)
  if (!e.ok) throw new Error(`the generator made a frame the encoder refuses: ${describeFrameError(e.error)} ${JSON.stringify(f)}`)
  return e.bytes
}

/** What the frame is once through the format: lat and lon to 1e-7 degree, acc to the metre up to 65535. */
function throughFormat (f: PunchFrame): PunchFrame {
  if (f.loc === undefined) return f
  return { ...f, loc: { lat: Math.round(f.loc.lat * 1e7) / 1e7, lon: Math.round(f.loc.lon * 1e7) / 1e7, acc: Math.min(0xffff, Math.round(f.loc.acc)) } }
}

/** Any decode result: no exception, a named refusal, or a valid frame that re-encodes to the same bytes. */
function checkPunchDecode (b: Buffer): void {
  const d = decodePunchFrame(b)
  if (!d.ok) {
    expect(['length', 'checksum', 'version', 'field'].includes(d.problem), `problem ${d.problem}`)
    expectFrameError(d.error, PUNCH_FIELDS, 'punch frame')
    if (d.n !== undefined) expect(d.problem === 'field' && Number.isInteger(d.n) && d.n >= 1, `n ${d.n} told with problem ${d.problem}`)
    return
  }
  expect(checkPunchFrame(d.frame) === undefined, () => `accepted an invalid frame: ${JSON.stringify(d.frame)}`)
  const again = encodePunchFrame(d.frame)
  expect(again.ok && again.bytes.equals(b), () => `accepted ${b.toString('hex')} but it encodes as ${again.ok ? again.bytes.toString('hex') : describeFrameError(again.error)}: ${JSON.stringify(d.frame)}`)
}

t.test('punch frames', async t => {
  property(t, 'any bytes: no throw, a named refusal or a canonical frame', 3000, fc.uint8Array({ maxLength: 320 }).map(b => Buffer.from(b)), checkPunchDecode)
  property(t, 'any body with a good CRC (past the checksum): no throw, a named refusal or a canonical frame', 4000,
    fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 298 }), fc.boolean()).map(([b, v1]) => { if (v1) b[0] = 1; return withCrc(b) }), checkPunchDecode)
  property(t, 'valid frames with bytes changed and the CRC made good again', 2000,
    fc.tuple(punchFrame, mutations).map(([f, ms]) => { const b = mutateAll(encoded(f), ms); return b.length < 2 ? b : withCrc(b.subarray(0, b.length - 2)) }), checkPunchDecode)
  property(t, 'encode then decode gives the frame back, to 1e-7 degree and the metre; re-encoding gives the same bytes', 1500, punchFrame, (f) => {
    const b = encoded(f)
    expect(b.length <= MAX_FRAME_BYTES, `${b.length} bytes`)
    const d = decodePunchFrame(b)
    expect(d.ok && sameJson(d.frame, throughFormat(f)), () => `${JSON.stringify(f)} came back as ${JSON.stringify(d)}`)
    const again = encodePunchFrame(d.frame)
    expect(again.ok && again.bytes.equals(b), 'not a fixed point')
  })
  property(t, 'one byte changed anywhere is always caught by the CRC', 3000, fc.tuple(punchFrame, fc.nat(), fc.integer({ min: 1, max: 255 })), ([f, at, mask]) => {
    const b = encoded(f)
    b[at % b.length] ^= mask
    const d = decodePunchFrame(b)
    expect(!d.ok && d.problem === 'checksum', () => JSON.stringify(d))
  })
  property(t, 'the encoder refuses what it cannot write, naming the field; it never throws', 1500,
    fc.tuple(punchFrame, fc.constantFrom('n', 'ts', 'emp', 'method', 'kind', 'clock', 'loc', 'loc.lat', 'loc.lon', 'loc.acc', 'manual', 'manual.reason'), fc.oneof(oddValue, illFormedText)),
    ([f, field, value]) => {
      const changed = structuredClone(f) as unknown as Record<string, Record<string, unknown>>
      const [a, b] = field.split('.')
      if (b === undefined) (changed as Record<string, unknown>)[a] = value
      else changed[a] = { ...(typeof changed[a] === 'object' && changed[a] !== null ? changed[a] : {}), [b]: value }
      const e = encodePunchFrame(changed as unknown as PunchFrame)
      if (!e.ok) { expectFrameError(e.error, PUNCH_FIELDS, 'encoder'); return }
      // What it did write must decode to what it was given.
      const d = decodePunchFrame(e.bytes)
      expect(d.ok && sameJson(d.frame, throughFormat(changed as unknown as PunchFrame)), () => `wrote ${field} = ${JSON.stringify(value)} and read back ${JSON.stringify(d)}`)
    })
})

const ackFrame: fc.Arbitrary<AckFrame> = fc.record({
  n: fc.integer({ min: 1, max: 0xffffffff }),
  outcome: fc.constantFrom(...ACK_OUTCOMES),
  seq: fc.oneof(fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.constantFrom(0, 2 ** 48 - 1))
})

t.test('ack frames', async t => {
  const check = (b: Buffer): void => {
    const d = decodeAckFrame(b)
    if (!d.ok) { expectFrameError(d.error, ACK_FIELDS, 'ack frame'); return }
    const again = encodeAckFrame(d.ack)
    expect(again.ok && again.bytes.equals(b), () => `accepted ${b.toString('hex')}, encodes differently`)
  }
  property(t, 'any bytes, and any 12 bytes with a good CRC: no throw, a named refusal or a canonical ack', 3000,
    fc.oneof(fc.uint8Array({ maxLength: 20 }).map(b => Buffer.from(b)), fc.uint8Array({ minLength: 12, maxLength: 12 }).map(b => { if (b[1] % 2 === 0) b[0] = 1; return withCrc(b) })), check)
  property(t, 'encode then decode gives the ack back; one byte changed is caught', 2000, fc.tuple(ackFrame, fc.nat(), fc.integer({ min: 1, max: 255 })), ([a, at, mask]) => {
    const e = encodeAckFrame(a)
    expect(e.ok && e.bytes.length === ACK_FRAME_BYTES, 'encodes')
    const d = decodeAckFrame(e.bytes)
    expect(d.ok && sameJson(d.ack, a), () => JSON.stringify(d))
    const b = Buffer.from(e.bytes)
    b[at % b.length] ^= mask
    const bad = decodeAckFrame(b)
    expect(!bad.ok && bad.problem === 'checksum', () => JSON.stringify(bad))
  })
})

// ---------------------------------------------------------------- notifications

const DROP_REASONS = [/^empty notification$/, /^frame cut short: the next one began$/, /^fragment \d+ out of order \(expected \d+\)$/, /^frame longer than \d+ bytes$/, /^link lost mid-frame$/]

interface Delivery { frames: Buffer[], noise: number, why: string[] }

function reassemble (notifications: readonly Buffer[]): Delivery {
  const out: Delivery = { frames: [], noise: 0, why: [] }
  const r = new Reassembler()
  const sink = {
    frame: (b: Buffer) => { out.frames.push(b) },
    noise: (n: number, why: string) => {
      expect(Number.isInteger(n) && n >= 0, `noise ${n}`)
      out.noise += n
      out.why.push(why)
    }
  }
  for (const n of notifications) r.push(n, sink)
  r.reset(sink)
  for (const w of out.why) expect(DROP_REASONS.some(re => re.test(w)), () => `drop reason not in the list: ${w}`)
  for (const f of out.frames) expect(f.length <= MAX_FRAME_BYTES, `${f.length}-byte frame delivered`)
  return out
}

const mtu = fc.oneof(fc.integer({ min: 23, max: 517 }), fc.constantFrom(23, 185, 247, 512, 0, -5, 1e9, Number.NaN, Infinity, 23.7))
const frameBytes = fc.oneof(punchFrame.map(encoded), fc.uint8Array({ maxLength: MAX_FRAME_BYTES }).map(b => Buffer.from(b)))
const notification = fc.oneof(
  fc.uint8Array({ maxLength: 24 }).map(b => Buffer.from(b)),
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 20 })).map(([h, b]) => Buffer.concat([Buffer.from([h & 0x81]), b]))
)

t.test('fragments and reassembly', async t => {
  property(t, 'any notifications: no throw, drops named, every byte a frame, a header or counted noise', 3000,
    fc.array(notification, { maxLength: 40 }), (ns) => {
      const d = reassemble(ns)
      const total = ns.reduce((n, b) => n + b.length, 0)
      const headers = total - d.noise - d.frames.reduce((n, f) => n + f.length, 0)
      expect(headers >= d.frames.length && headers <= ns.length, () => `${total} bytes: noise ${d.noise}, frames ${d.frames.length}, headers ${headers}`)
    })
  property(t, 'a frame fragmented at any MTU reassembles to itself', 2000, fc.tuple(frameBytes, mtu), ([f, m]) => {
    const d = reassemble(fragmentFrame(f, m))
    expect(d.frames.length === 1 && d.frames[0].equals(f) && d.noise === 0, () => `${d.frames.length} frames, noise ${d.noise} ${d.why.join('; ')}`)
  })
  property(t, 'every frame whose notifications arrive uninterrupted is delivered, whatever came before', 2000,
    fc.tuple(fc.array(fc.tuple(fc.array(notification, { maxLength: 4 }), frameBytes, mtu), { minLength: 1, maxLength: 4 })), ([items]) => {
      const d = reassemble(items.flatMap(([noise, f, m]) => [...noise, ...fragmentFrame(f, m)]))
      const want = items.map(([, f]) => f)
      expect(isSubsequence(want, d.frames, (a, b) => a.equals(b)), () => `want ${want.length}, got ${d.frames.length}: ${d.why.join('; ')}`)
    })
  property(t, 'a frame reassembled from any MTU decodes like the frame itself', 1000, fc.tuple(punchFrame, mtu), ([f, m]) => {
    const d = reassemble(fragmentFrame(encoded(f), m))
    const a = decodePunchFrame(d.frames[0])
    expect(a.ok && sameJson(a.frame, throughFormat(f)), () => JSON.stringify(a))
  })
})
