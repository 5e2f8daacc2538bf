/**
 * Property-based fuzzing of the serial decoders (device/inputs/serial): RDM6300 frames, Wiegand converter
 * lines, NMEA sentences and R307 packets. For each: any bytes in any chunks never make it throw, and what
 * it drops is reported with a reason from its own short list (counted to the byte where the framing allows);
 * what the encoders write decodes back, however the port splits it; valid frames after noise are still
 * found, by each decoder's resync rule:
 * - RDM6300: STX starts a frame; bytes that cannot continue one are noise, and scanning resumes just after
 *   the start, so a truncated frame costs only itself.
 * - Wiegand text: the line is the frame; junk spoils the line it is on, and the next line end resyncs.
 * - NMEA: the line is the frame, and a sentence starts at the last `$` on it, so junk or a cut-short
 *   sentence before a `$` on the same line costs nothing.
 * - R307: EF 01 and a plausible header start a packet; a packet with a bad checksum is dropped whole; a
 *   packet cut short holds back what follows until the driver resets the framer on a command timeout.
 * Seed and run counts: test/fixtures/arbitraries.ts (FUZZ_SEED, FUZZ_RUNS; `npm run fuzz`).
 */
import t from 'tap'
import fc from 'fast-check'
import type { DecodeSink, PassiveDecoder } from '../device/inputs/serial/protocol.js'
import { Rdm6300Decoder, encodeRdm6300, type Rdm6300Tag } from '../device/inputs/serial/rdm6300.js'
import { WiegandTextDecoder, wiegand26Bits, wiegand26FromBits, type WiegandCard } from '../device/inputs/serial/wiegand-text.js'
import { NmeaDecoder, formatGga, formatRmc, nmeaSentence, type NmeaFix } from '../device/inputs/serial/nmea.js'
import { R307Framer, encodeR307Packet, type R307Packet } from '../device/inputs/serial/r307.js'
import { chunked, cuts, expect, isSubsequence, property, sameJson } from './fixtures/arbitraries.js'

interface Recording<T> {
  frames: T[]
  /** frame() calls with nothing for us (an NMEA GSV) */
  empty: number
  bad: string[]
  noise: number
  why: Set<string>
}

function record<T> (): Recording<T> & { sink: DecodeSink<T> } {
  const r: Recording<T> & { sink: DecodeSink<T> } = {
    frames: [],
    empty: 0,
    bad: [],
    noise: 0,
    why: new Set(),
    sink: {
      frame: (v) => { if (v === undefined) r.empty++; else r.frames.push(v) },
      badChecksum: (raw) => {
        expect(typeof raw === 'string' && raw.length > 0, 'badChecksum without the raw frame')
        r.bad.push(raw)
      },
      noise: (n, why) => {
        expect(Number.isInteger(n) && n >= 1, () => `noise of ${n} bytes (${why})`)
        r.noise += n
        r.why.add(why)
      }
    }
  }
  return r
}

/** Feeds chunks, then resets (the port closed), so whatever was held back is reported too. */
function feed (d: PassiveDecoder, chunks: readonly Buffer[]): void {
  for (const c of chunks) d.push(c)
  d.reset()
}

function reasonsFrom (r: Recording<unknown>, allowed: readonly string[], what: string): void {
  for (const w of r.why) expect(allowed.includes(w), () => `${what}: noise reason not in its list: ${JSON.stringify(w)}`)
}

const bytes = (max: number): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength: max }).map(b => Buffer.from(b))

/** Junk a port delivers: random bytes, a frame cut short, a frame with a byte damaged. */
function noiseAround (frame: fc.Arbitrary<Buffer>, max = 40): fc.Arbitrary<Buffer> {
  return fc.oneof(
    bytes(max),
    fc.tuple(frame, fc.nat()).map(([f, n]) => f.subarray(0, n % f.length)),
    fc.tuple(frame, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([f, at, m]) => { const b = Buffer.from(f); b[at % b.length] ^= m; return b })
  )
}

// ---------------------------------------------------------------- RDM6300

const RDM_REASONS = ['bytes outside a frame', 'malformed frame', 'partial frame dropped']
const rdmTag: fc.Arbitrary<Rdm6300Tag> = fc.record({ version: fc.integer({ min: 0, max: 255 }), tag: fc.integer({ min: 0, max: 0xffffffff }) })
const rdmFrame = fc.tuple(rdmTag, fc.boolean()).map(([tg, lower]) => {
  const f = encodeRdm6300(tg)
  return lower ? Buffer.from(f.toString('latin1').toLowerCase(), 'latin1') : f
})

t.test('RDM6300', async t => {
  property(t, 'any bytes, any chunks: no throw, every byte a frame, a bad checksum or counted noise', 3000,
    fc.tuple(fc.oneof(bytes(200), fc.array(fc.oneof(rdmFrame, noiseAround(rdmFrame)), { maxLength: 8 }).map(bs => Buffer.concat(bs))), cuts),
    ([b, at]) => {
      const r = record<Rdm6300Tag>()
      feed(new Rdm6300Decoder(r.sink), chunked(b, at))
      for (const f of r.frames) expect(Number.isInteger(f.tag) && f.tag >= 0 && f.tag <= 0xffffffff && f.version >= 0 && f.version <= 255, JSON.stringify(f))
      for (const raw of r.bad) expect(/^[0-9A-Fa-f]{12}$/.test(raw), raw)
      expect(r.noise + 14 * (r.frames.length + r.bad.length) === b.length, () => `${b.length} bytes, accounted ${r.noise} + 14 x ${r.frames.length + r.bad.length}`)
      reasonsFrom(r, RDM_REASONS, 'rdm6300')
    })
  property(t, 'encodeRdm6300 then decode, split anywhere, gives the tag back', 1000, fc.tuple(fc.array(rdmTag, { minLength: 1, maxLength: 5 }), cuts), ([tags, at]) => {
    const r = record<Rdm6300Tag>()
    feed(new Rdm6300Decoder(r.sink), chunked(Buffer.concat(tags.map(encodeRdm6300)), at))
    expect(sameJson(r.frames, tags) && r.noise === 0 && r.bad.length === 0, () => JSON.stringify(r.frames))
  })
  property(t, 'every valid frame after noise or a truncated frame is still found', 2000,
    fc.tuple(fc.array(fc.tuple(noiseAround(rdmFrame), rdmTag), { minLength: 1, maxLength: 5 }), cuts), ([items, at]) => {
      const r = record<Rdm6300Tag>()
      feed(new Rdm6300Decoder(r.sink), chunked(Buffer.concat(items.flatMap(([n, tg]) => [n, encodeRdm6300(tg)])), at))
      const want = items.map(([, tg]) => tg)
      expect(isSubsequence(want, r.frames, sameJson), () => `want ${JSON.stringify(want)}, got ${JSON.stringify(r.frames)}`)
    })
})

// ---------------------------------------------------------------- Wiegand text

const WIEGAND_REASONS = ['line too long', 'partial line dropped', 'line matches no format', 'not a Wiegand-26 facility and card']
const card: fc.Arbitrary<WiegandCard> = fc.record({ facility: fc.integer({ min: 0, max: 255 }), card: fc.integer({ min: 0, max: 65535 }) })
const lineEnd = fc.constantFrom('\r\n', '\n', '\r', '\n\r', '\r\n\r\n')

/** The line styles converters print, in the default formats' variety of spacing and case. */
const wiegandLine = fc.tuple(card, fc.integer({ min: 0, max: 5 }), fc.boolean(), lineEnd).map(([c, style, lower, end]) => {
  const bits = wiegand26Bits(c)
  const lines = [
    `W26 FC:${c.facility} CARD:${c.card}`,
    `FC=${c.facility},CN=${c.card}`,
    `Wiegand26: FC: ${String(c.facility).padStart(3, '0')} ; ID = ${c.card}`,
    bits,
    `W26:${bits}`,
    `  wiegand-26 ${bits}  `
  ]
  const line = lower ? lines[style].toLowerCase() : lines[style]
  return { c, bytes: Buffer.from(line + end, 'latin1') }
})

t.test('Wiegand-26 text', async t => {
  property(t, 'any bytes, any chunks: no throw, cards in range, drops named', 3000,
    fc.tuple(fc.oneof(bytes(300), fc.array(fc.oneof(wiegandLine.map(l => l.bytes), bytes(40)), { maxLength: 8 }).map(bs => Buffer.concat(bs))), cuts), ([b, at]) => {
      const r = record<WiegandCard>()
      feed(new WiegandTextDecoder(r.sink), chunked(b, at))
      for (const f of r.frames) expect(Number.isInteger(f.facility) && f.facility >= 0 && f.facility <= 255 && Number.isInteger(f.card) && f.card >= 0 && f.card <= 65535, JSON.stringify(f))
      reasonsFrom(r, WIEGAND_REASONS, 'wiegand')
    })
  property(t, 'wiegand26Bits then wiegand26FromBits gives the card back; any one bit flipped fails parity', 2000,
    fc.tuple(card, fc.integer({ min: 0, max: 25 })), ([c, i]) => {
      const bits = wiegand26Bits(c)
      expect(/^[01]{26}$/.test(bits) && sameJson(wiegand26FromBits(bits), c), bits)
      const flipped = bits.slice(0, i) + (bits[i] === '1' ? '0' : '1') + bits.slice(i + 1)
      expect(wiegand26FromBits(flipped) === undefined, () => `flip of bit ${i} passed parity: ${flipped}`)
    })
  property(t, 'every line style decodes to its card, split anywhere', 1500, fc.tuple(fc.array(wiegandLine, { minLength: 1, maxLength: 6 }), cuts), ([lines, at]) => {
    const r = record<WiegandCard>()
    feed(new WiegandTextDecoder(r.sink), chunked(Buffer.concat(lines.map(l => l.bytes)), at))
    expect(sameJson(r.frames, lines.map(l => l.c)) && r.noise === 0, () => `${JSON.stringify(r.frames)}, noise ${r.noise} ${[...r.why].join('; ')}`)
  })
  property(t, 'every line after junk and a line end is still found', 1500,
    fc.tuple(fc.array(fc.tuple(noiseAround(wiegandLine.map(l => l.bytes), 300), lineEnd, wiegandLine), { minLength: 1, maxLength: 5 }), cuts), ([items, at]) => {
      const r = record<WiegandCard>()
      feed(new WiegandTextDecoder(r.sink), chunked(Buffer.concat(items.flatMap(([n, end, l]) => [n, Buffer.from(end), l.bytes])), at))
      const want = items.map(([, , l]) => l.c)
      expect(isSubsequence(want, r.frames, sameJson), () => `want ${JSON.stringify(want)}, got ${JSON.stringify(r.frames)}`)
    })
})

// ---------------------------------------------------------------- NMEA

const NMEA_REASONS = ['line too long', 'partial sentence dropped', 'no sentence start', 'bytes before a sentence', 'sentence without a checksum']
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0)

function validFix (f: NmeaFix): boolean {
  return f.lat >= -90 && f.lat <= 90 && f.lon >= -180 && f.lon <= 180 && Number.isFinite(f.acc) && f.acc >= 0 && Number.isSafeInteger(f.ts)
}

/** Fields as receivers write them, and as broken ones might: empty, numbers of any shape, letters. */
const nmeaField = fc.oneof(
  fc.constantFrom('', '0', '1', '2', '6', 'A', 'V', 'N', 'S', 'E', 'W', 'M', '08', '0.9', '99.99', '1e999', 'Infinity', 'NaN', '-1', '0x10', '1e3'),
  fc.stringMatching(/^\d{1,6}(\.\d{1,6})?$/),
  fc.stringMatching(/^\d{400}$/),
  fc.string({ unit: 'grapheme-ascii', maxLength: 8 }).map(s => s.replace(/[$*\r\n]/g, ''))
)
/** A GGA or RMC (or a sentence we ignore) with one to three of its fields replaced by odd ones. */
function nmeaBody (fixes: fc.Arbitrary<NmeaFix>): fc.Arbitrary<string> {
  return fc.tuple(fixes, fc.constantFrom('GGA', 'RMC', 'GSV'), fc.array(fc.tuple(fc.nat(), nmeaField), { minLength: 1, maxLength: 3 }))
    .map(([f, type, changes]) => {
      const line = type === 'GGA' ? formatGga({ ...f, hdop: 1 }) : formatRmc(f)
      const fields = line.slice(1, line.indexOf('*')).split(',')
      if (type === 'GSV') fields[0] = 'GPGSV'
      for (const [at, v] of changes) fields[1 + at % (fields.length - 1)] = v
      return fields.join(',')
    })
}

/** A fix the encoders can write: RMC carries a two-digit year, read as 1980-2079. */
const fix = fc.record({
  lat: fc.double({ min: -90, max: 90, noNaN: true }),
  lon: fc.double({ min: -180, max: 180, noNaN: true }),
  acc: fc.constant(0),
  ts: fc.integer({ min: Date.UTC(1980, 0, 1), max: Date.UTC(2079, 11, 31, 23, 59, 59, 999) })
})
const hdop = fc.integer({ min: 1, max: 999 }).map(n => n / 10)
const sentence = fc.tuple(fix, hdop, fc.boolean()).map(([f, h, rmc]) => Buffer.from(rmc ? formatRmc(f) : formatGga({ ...f, hdop: h })))

t.test('NMEA 0183', async t => {
  property(t, 'any bytes, any chunks: no throw, drops named', 2000, fc.tuple(bytes(600), cuts), ([b, at]) => {
    const r = record<NmeaFix>()
    feed(new NmeaDecoder(r.sink, { now: () => NOW }), chunked(b, at))
    for (const f of r.frames) expect(validFix(f), JSON.stringify(f))
    reasonsFrom(r, NMEA_REASONS, 'nmea')
  })
  property(t, 'checksum-valid sentences with any fields: every fix is a position a punch can carry', 3000,
    fc.array(nmeaBody(fix), { minLength: 1, maxLength: 4 }), (bodies) => {
      const r = record<NmeaFix>()
      // One chunk: the line-length limit applies between chunks, and a single read can be longer.
      feed(new NmeaDecoder(r.sink, { now: () => NOW }), [Buffer.from(bodies.map(nmeaSentence).join(''), 'latin1')])
      for (const f of r.frames) expect(validFix(f), () => `fix ${JSON.stringify(f)} from ${JSON.stringify(bodies)}`)
      expect(r.frames.length + r.empty === bodies.length && r.bad.length === 0, 'each sentence checked once')
    })
  property(t, 'formatRmc and formatGga decode to the fix, within the precision of the format', 2000,
    fc.tuple(fix, hdop, cuts), ([f, h, at]) => {
      const r = record<NmeaFix>()
      // A GGA is dated by the RMC before it: an RMC of the same fix first.
      feed(new NmeaDecoder(r.sink, { now: () => NOW }), chunked(Buffer.from(formatRmc(f) + formatGga({ ...f, hdop: h })), at))
      expect(r.frames.length === 2 && r.noise === 0, () => `${JSON.stringify(r.frames)} noise ${[...r.why].join(';')}`)
      for (const d of r.frames) {
        // minutes to 5 decimals: 1e-5 / 60 degree, then rounded to 1e-7
        expect(Math.abs(d.lat - f.lat) <= 2e-7 && Math.abs(d.lon - f.lon) <= 2e-7, () => `position ${JSON.stringify(d)} for ${JSON.stringify(f)}`)
        expect(d.ts === f.ts - (f.ts % 10), () => `time ${d.ts} for ${f.ts}`)
      }
      expect(r.frames[1].acc === Math.round(h * 5 * 10) / 10, () => `acc ${r.frames[1].acc} for HDOP ${h}`)
    })
  const longJunk = fc.uint8Array({ minLength: 100, maxLength: 400 }).map(b => Buffer.from(b.map(x => x === 0x0a || x === 0x0d ? 0x20 : x)))
  property(t, 'every sentence after junk is still found, even junk with no line end', 2000,
    fc.tuple(fc.array(fc.tuple(fc.oneof(noiseAround(sentence, 400), longJunk), sentence), { minLength: 1, maxLength: 4 }), cuts), ([items, at]) => {
      const r = record<NmeaFix>()
      feed(new NmeaDecoder(r.sink, { now: () => NOW }), chunked(Buffer.concat(items.flat()), at))
      expect(r.frames.length >= items.length, () => `want ${items.length} fixes, got ${r.frames.length}: noise ${[...r.why].join('; ')} in ${JSON.stringify(items.map(([n, s]) => [n.toString('latin1'), s.toString('latin1')]))} cut at ${JSON.stringify(at)}`)
    })
})

// ---------------------------------------------------------------- R307

const R307_REASONS = ['bytes outside a packet', 'partial packet dropped']
const r307Packet: fc.Arbitrary<R307Packet> = fc.record({
  address: fc.oneof(fc.constant(0xffffffff), fc.integer({ min: 0, max: 0xffffffff })),
  type: fc.constantFrom(0x01, 0x02, 0x07, 0x08),
  payload: fc.oneof(fc.uint8Array({ maxLength: 12 }), fc.uint8Array({ maxLength: 256 })).map(b => Buffer.from(b))
})
const r307Bytes = r307Packet.map(encodeR307Packet)
const samePacket = (a: R307Packet, b: R307Packet): boolean => a.address === b.address && a.type === b.type && a.payload.equals(b.payload)

t.test('R307 packets', async t => {
  property(t, 'any bytes, any chunks: no throw, every byte a packet, a bad checksum or counted noise', 3000,
    fc.tuple(fc.oneof(bytes(300), fc.array(fc.oneof(r307Bytes, noiseAround(r307Bytes)), { maxLength: 6 }).map(bs => Buffer.concat(bs))), cuts), ([b, at]) => {
      const r = record<R307Packet>()
      const f = new R307Framer(r.sink)
      for (const c of chunked(b, at)) f.push(c)
      f.reset()
      const inPackets = r.frames.reduce((n, p) => n + 11 + p.payload.length, 0)
      const inBad = r.bad.reduce((n, raw) => n + raw.length / 2, 0)
      expect(r.noise + inPackets + inBad === b.length, () => `${b.length} bytes, accounted ${r.noise} + ${inPackets} + ${inBad}`)
      reasonsFrom(r, R307_REASONS, 'r307')
    })
  property(t, 'encodeR307Packet then frame, split anywhere, gives the packets back', 1000, fc.tuple(fc.array(r307Packet, { minLength: 1, maxLength: 4 }), cuts), ([ps, at]) => {
    const r = record<R307Packet>()
    const f = new R307Framer(r.sink)
    for (const c of chunked(Buffer.concat(ps.map(encodeR307Packet)), at)) f.push(c)
    expect(r.frames.length === ps.length && ps.every((p, i) => samePacket(p, r.frames[i])) && r.noise === 0, () => `${r.frames.length} of ${ps.length}`)
  })
  /** Damage that keeps the framing: the address, the payload or the checksum, never the header's type or length. */
  const damagedInPlace = fc.tuple(r307Bytes, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([b, at, m]) => {
    const keep = [0, 1, 6, 7, 8]
    const i = at % b.length
    const d = Buffer.from(b)
    if (!keep.includes(i)) d[i] ^= m
    return d
  })
  property(t, 'every packet after random noise or a damaged packet is still found', 2000,
    fc.tuple(fc.array(fc.tuple(fc.oneof(bytes(40), damagedInPlace), r307Packet), { minLength: 1, maxLength: 4 }), cuts), ([items, at]) => {
      const r = record<R307Packet>()
      const f = new R307Framer(r.sink)
      for (const c of chunked(Buffer.concat(items.flatMap(([n, p]) => [n, encodeR307Packet(p)])), at)) f.push(c)
      const want = items.map(([, p]) => p)
      expect(isSubsequence(want, r.frames, samePacket), () => `want ${want.length}, got ${r.frames.length}: ${JSON.stringify(items.map(([n, p]) => [n.toString('hex'), encodeR307Packet(p).toString('hex')]))}`)
    })
  property(t, 'a packet cut short, or with a damaged header, costs nothing after a reset (the driver resets on a command timeout)', 2000,
    fc.tuple(fc.array(fc.tuple(noiseAround(r307Bytes), r307Packet), { minLength: 1, maxLength: 4 }), cuts), ([items, at]) => {
      const r = record<R307Packet>()
      const f = new R307Framer(r.sink)
      for (const [n, p] of items) {
        for (const c of chunked(n, at)) f.push(c)
        f.reset()
        for (const c of chunked(encodeR307Packet(p), at)) f.push(c)
      }
      const want = items.map(([, p]) => p)
      expect(isSubsequence(want, r.frames, samePacket), () => `want ${want.length}, got ${r.frames.length}`)
    })
})
