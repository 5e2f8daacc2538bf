/**
 * BLE frame codec (device/inputs/ble/frames.ts) and fragmentation: round trips, one test per rule with
 * the field it must name, oversize frames, and reassembly that drops what it cannot trust and says so.
 */
import t from 'tap'
import {
  ACK_FRAME_BYTES, MAX_FRAME_BYTES, ackForOutcome, ackFreesPunch, crc16, decodeAckFrame, decodePunchFrame,
  encodeAckFrame, encodePunchFrame, type PunchFrame
} from '../device/inputs/ble/frames.js'
import { Reassembler, fragmentFrame } from '../device/inputs/ble/fragments.js'

const TS = Date.UTC(2026, 10, 23, 8, 30)
const base: PunchFrame = { n: 7, ts: TS, emp: 'E1001', method: 'ble' }

function bytesOf (f: PunchFrame): Buffer {
  const e = encodePunchFrame(f)
  if (!e.ok) throw new Error(`${e.error.field}: ${e.error.rule}`)
  return e.bytes
}

/** Edits a valid frame and seals it with a fresh CRC, so only the edited rule can fail. */
function edited (f: PunchFrame, edit: (b: Buffer) => Buffer | void): Buffer {
  const b = Buffer.from(bytesOf(f))
  const body = edit(b.subarray(0, b.length - 2)) ?? b.subarray(0, b.length - 2)
  const out = Buffer.alloc(body.length + 2)
  body.copy(out)
  out.writeUInt16BE(crc16(out, 0, body.length), body.length)
  return out
}

t.test('crc16 is CRC-16/CCITT-FALSE', async t => {
  t.equal(crc16(Buffer.from('123456789')), 0x29b1)
})

t.test('punch frames round trip', async t => {
  const cases: PunchFrame[] = [
    base,
    { n: 0xffffffff, ts: TS, emp: 'Zoë-名前', method: 'gps', kind: 'break-out', clock: 'unsynced', loc: { lat: -33.8688197, lon: 151.2092955, acc: 12 } },
    { n: 1, ts: TS, emp: 'x'.repeat(64), method: 'manual', kind: 'in', clock: 'synced', manual: { reason: 'forgot my watch at home, badge at the desk'.padEnd(200, '.') } },
    { n: 2, ts: TS, emp: 'E', method: 'card', kind: 'auto', loc: { lat: 90, lon: -180, acc: 0 } }
  ]
  for (const f of cases) {
    const b = bytesOf(f)
    t.ok(b.length <= MAX_FRAME_BYTES, `${b.length} bytes`)
    const d = decodePunchFrame(b)
    t.ok(d.ok, `decodes n=${f.n}`)
    if (d.ok) t.same(d.frame, f)
  }
  const largest = bytesOf(cases[2])
  t.equal(largest.length, 15 + 64 + 1 + 200 + 2, 'the largest frame without loc')
  const d = decodePunchFrame(bytesOf({ ...base, loc: { lat: 1.23456789, lon: 2, acc: 70_000.4 } }))
  t.ok(d.ok && Math.abs(d.frame.loc!.lat - 1.2345679) < 1e-9, 'lat kept to 1e-7 degrees')
  t.equal(d.ok && d.frame.loc!.acc, 65535, 'acc beyond 65535 m is sent as 65535')
})

t.test('the encoder names the field and the rule', async t => {
  const bad: Array<[Record<string, unknown>, string]> = [
    [{ n: 0 }, 'n'], [{ n: 2 ** 32 }, 'n'], [{ n: 1.5 }, 'n'],
    [{ ts: Date.UTC(1999, 0, 1) }, 'ts'], [{ ts: Date.UTC(2101, 0, 1) }, 'ts'],
    [{ emp: '' }, 'emp'], [{ emp: '€'.repeat(22) }, 'emp'],
    [{ kind: 'lunch' }, 'kind'], [{ method: 'smoke' }, 'method'], [{ clock: 'fast' }, 'clock'],
    [{ loc: { lat: 91, lon: 0, acc: 1 } }, 'loc.lat'], [{ loc: { lat: Number.NaN, lon: 0, acc: 1 } }, 'loc.lat'],
    [{ loc: { lat: 0, lon: 180.5, acc: 1 } }, 'loc.lon'], [{ loc: { lat: 0, lon: 0, acc: -1 } }, 'loc.acc'],
    [{ loc: null }, 'loc'],
    [{ method: 'manual' }, 'manual'], [{ manual: { reason: 'x' } }, 'manual'],
    [{ method: 'manual', manual: { reason: '' } }, 'manual.reason'], [{ method: 'manual', manual: { reason: 'é'.repeat(101) } }, 'manual.reason']
  ]
  for (const [change, field] of bad) {
    const e = encodePunchFrame({ ...base, ...change } as unknown as PunchFrame)
    t.notOk(e.ok, `${JSON.stringify(change)} refused`)
    if (!e.ok) {
      t.equal(e.error.field, field, `names ${field}`)
      t.ok(e.error.rule.length > 5, e.error.rule)
    }
  }
})

t.test('the decoder names the field and the rule, and n when it can be trusted', async t => {
  const loc: PunchFrame = { ...base, loc: { lat: 1, lon: 2, acc: 3 } }
  const manual: PunchFrame = { ...base, method: 'manual', manual: { reason: 'late' } }
  const cases: Array<[string, Buffer, string, string]> = [
    ['too short', Buffer.alloc(10), 'length', 'frame'],
    ['too long', Buffer.alloc(MAX_FRAME_BYTES + 1), 'length', 'frame'],
    ['bad crc', (() => { const b = Buffer.from(bytesOf(base)); b[16] ^= 1; return b })(), 'checksum', 'crc'],
    ['version 2', edited(base, b => { b[0] = 2 }), 'version', 'version'],
    ['n 0', edited(base, b => { b.writeUInt32BE(0, 2) }), 'field', 'n'],
    ['reserved flag', edited(base, b => { b[1] |= 0x10 }), 'field', 'flags'],
    ['clock 11', edited(base, b => { b[1] |= 0x0c }), 'field', 'flags'],
    ['ts before 2000', edited(base, b => { b.writeUIntBE(1000, 6, 6) }), 'field', 'ts'],
    ['kind 6', edited(base, b => { b[12] = 6 }), 'field', 'kind'],
    ['method 7', edited(base, b => { b[13] = 7 }), 'field', 'method'],
    ['emp length 0', edited(base, b => { b[14] = 0 }), 'field', 'emp'],
    ['emp length 65', edited(base, b => { b[14] = 65 }), 'field', 'emp'],
    ['emp past the end', edited(base, b => { b[14] = 9 }), 'field', 'emp'],
    ['emp not UTF-8', edited(base, b => { b[15] = 0xff }), 'field', 'emp'],
    ['loc flag without loc', edited(base, b => { b[1] |= 0x01 }), 'field', 'loc'],
    ['lat 214', edited(loc, b => { b.writeInt32BE(2_140_000_000, 20) }), 'field', 'loc.lat'],
    ['lon -200', edited(loc, b => { b.writeInt32BE(-2_000_000_000, 24) }), 'field', 'loc.lon'],
    ['manual flag without reason', edited(base, b => { b[1] |= 0x02 }), 'field', 'manual.reason'],
    ['reason length 0', edited(manual, b => { b[20] = 0 }), 'field', 'manual.reason'],
    ['reason past the end', edited(manual, b => { b[20] = 9 }), 'field', 'manual.reason'],
    ['reason not UTF-8', edited(manual, b => { b[21] = 0xc3; b[22] = 0x28 }), 'field', 'manual.reason'],
    ['method manual, no reason', edited(base, b => { b[13] = 6 }), 'field', 'manual'],
    ['reason, method not manual', edited(manual, b => { b[13] = 4 }), 'field', 'manual'],
    ['trailing bytes', edited(base, b => Buffer.concat([b, Buffer.from([0, 0, 0])])), 'field', 'frame']
  ]
  for (const [what, bytes, problem, field] of cases) {
    const d = decodePunchFrame(bytes)
    t.notOk(d.ok, `${what}: refused`)
    if (d.ok) continue
    t.equal(d.problem, problem, `${what}: ${problem}`)
    t.equal(d.error.field, field, `${what}: names ${field} (${d.error.rule})`)
    if (problem === 'field' && field !== 'n') t.equal(d.n, 7, `${what}: n is reported for the refusal ack`)
    else t.equal(d.n, undefined, `${what}: n is not trusted`)
  }
})

t.test('ack frames', async t => {
  t.same(ackForOutcome(3, { outcome: 'accepted', seq: 41 }), { n: 3, outcome: 'accepted', seq: 41 })
  t.same(ackForOutcome(3, { outcome: 'duplicate-read', previousSeq: 40 }), { n: 3, outcome: 'duplicate-read', seq: 40 })
  t.same(ackForOutcome(3, { outcome: 'refused', reason: 'storage-full', message: 'ring full' }), { n: 3, outcome: 'storage-full', seq: 0 })
  for (const outcome of ['accepted', 'duplicate-read', 'storage-full', 'too-large', 'invalid'] as const) {
    const e = encodeAckFrame({ n: 0xfffffffe, outcome, seq: 2 ** 48 - 1 })
    t.ok(e.ok && e.bytes.length === ACK_FRAME_BYTES, `${outcome}: ${ACK_FRAME_BYTES} bytes`)
    if (e.ok) t.same(decodeAckFrame(e.bytes), { ok: true, ack: { n: 0xfffffffe, outcome, seq: 2 ** 48 - 1 } })
  }
  t.equal(ackFreesPunch('storage-full'), false, 'storage-full: the peer keeps the punch')
  t.equal(ackFreesPunch('invalid'), true)
  t.equal(ackFreesPunch('accepted'), true)
  const refusals: Array<[Parameters<typeof encodeAckFrame>[0], string]> = [
    [{ n: 0, outcome: 'accepted', seq: 1 }, 'n'],
    [{ n: 1, outcome: 'maybe' as 'accepted', seq: 1 }, 'outcome'],
    [{ n: 1, outcome: 'accepted', seq: 2 ** 48 }, 'seq']
  ]
  for (const [a, field] of refusals) {
    const e = encodeAckFrame(a)
    t.ok(!e.ok && e.error.field === field, `encoder names ${field}`)
  }
  const good = (encodeAckFrame({ n: 5, outcome: 'accepted', seq: 9 }) as { bytes: Buffer }).bytes
  const reseal = (edit: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(good); edit(b); b.writeUInt16BE(crc16(b, 0, 12), 12); return b
  }
  const bad: Array<[Buffer, string, string]> = [
    [good.subarray(0, 13), 'length', 'frame'],
    [Buffer.concat([good.subarray(0, 12), Buffer.from([0, 0])]), 'checksum', 'crc'],
    [reseal(b => { b[0] = 9 }), 'version', 'version'],
    [reseal(b => { b[1] = 5 }), 'field', 'outcome'],
    [reseal(b => { b.writeUInt32BE(0, 2) }), 'field', 'n']
  ]
  for (const [bytes, problem, field] of bad) {
    const d = decodeAckFrame(bytes)
    t.ok(!d.ok && d.problem === problem && d.error.field === field, `ack decoder: ${problem} ${field}`)
  }
})

t.test('fragments at the default MTU and a large one reassemble to the frame', async t => {
  const frame = bytesOf({ ...base, method: 'manual', manual: { reason: 'r'.repeat(150) }, loc: { lat: 1, lon: 2, acc: 3 } })
  for (const mtu of [23, 185, 517, 5, Number.NaN]) {
    const parts = fragmentFrame(frame, mtu)
    const limit = Number.isFinite(mtu) ? Math.min(Math.max(mtu, 23), 515) - 3 : 20
    t.ok(parts.every(p => p.length <= limit), `mtu ${mtu}: every notification fits in ${limit} bytes`)
    t.equal(parts.filter(p => (p[0] & 0x80) !== 0).length, 1, `mtu ${mtu}: one last fragment`)
    const got: Buffer[] = []
    const r = new Reassembler()
    for (const p of parts) r.push(p, { frame: f => got.push(f), noise: () => t.fail('no noise') })
    t.same(got, [frame], `mtu ${mtu}: ${parts.length} fragment(s) make the frame`)
  }
})

t.test('reassembly drops gaps, cut-short and oversize frames and counts the bytes', async t => {
  const frame = bytesOf({ ...base, emp: 'E'.repeat(40) })
  const parts = fragmentFrame(frame, 23)
  t.equal(parts.length, 3)
  const frames: Buffer[] = []
  const noise: Array<[number, string]> = []
  const sink = { frame: (f: Buffer) => frames.push(f), noise: (n: number, why: string) => noise.push([n, why]) }
  const r = new Reassembler()

  r.push(parts[0], sink); r.push(parts[2], sink)
  t.same(noise.map(n => n[0]), [parts[0].length + parts[2].length], 'a gap drops the partial frame and the stray fragment')
  t.match(noise[0][1], /out of order/)
  r.push(parts[1], sink)
  t.equal(noise[1][0], parts[1].length, 'a continuation with no start is noise')

  r.push(parts[0], sink); r.push(parts[0], sink); r.push(parts[1], sink); r.push(parts[2], sink)
  t.equal(noise[2][0], parts[0].length, 'a frame cut short by the next start')
  t.match(noise[2][1], /cut short/)
  t.same(frames, [frame], 'the next whole frame still comes through')

  r.push(Buffer.alloc(0), sink)
  t.match(noise[3][1], /empty/)
  r.push(parts[0], sink); r.reset(sink)
  t.same(noise[4], [parts[0].length, 'link lost mid-frame'])

  const huge = fragmentFrame(Buffer.alloc(MAX_FRAME_BYTES + 20, 1), 23)
  for (const p of huge) r.push(p, sink)
  t.match(noise[5][1], /longer than 300/)
  t.equal(frames.length, 1, 'nothing oversize is handed on')
  t.equal(noise.slice(5).reduce((s, n) => s + n[0], 0), huge.reduce((s, p) => s + p.length, 0), 'every byte of it counted')
})

t.test('regressions found by test/fuzz-ble.test.ts', async t => {
  await t.test('a leading byte-order mark is part of the emp, not stripped', async t => {
    // The fuzzer's counterexample: emp "\uFEFF\u0000" came back as "\u0000".
    for (const emp of ['\ufeff\u0000', '\ufeff1234', '\ufeff']) {
      const d = decodePunchFrame(bytesOf({ ...base, emp }))
      t.ok(d.ok && d.frame.emp === emp, JSON.stringify(emp))
    }
    const reason = '\ufeffforgot'
    const m = decodePunchFrame(bytesOf({ ...base, method: 'manual', manual: { reason } }))
    t.ok(m.ok && m.frame.manual?.reason === reason, 'manual.reason too')
  })
  await t.test('a lone surrogate is refused by the encoder rather than sent as U+FFFD', async t => {
    for (const change of [{ emp: '\ud800' }, { emp: 'E1\udc00' }, { method: 'manual', manual: { reason: 'x\ud83d' } }]) {
      const e = encodePunchFrame({ ...base, ...change } as PunchFrame)
      t.notOk(e.ok, JSON.stringify(change))
      if (!e.ok) t.equal(e.error.field, 'manual' in change ? 'manual.reason' : 'emp')
    }
    t.ok(encodePunchFrame({ ...base, emp: '\u{1f600}' }).ok, 'a whole pair is fine')
  })
})
