import t from 'tap'
import { decodeBatch, encodeBatch } from '../shared/codec/batch.js'
import { LIMITS } from '../shared/punch.js'

const good = {
  v: 1,
  id: 'b-17',
  epoch: '9f2c41d0',
  tz: 480,
  punches: [
    { seq: 41, ts: 1795309083120, emp: 'E1001', kind: 'in', method: 'card', clock: 'synced' },
    { seq: 42, ts: 1795341110004, emp: 'E1001', kind: 'out', method: 'gps', loc: { lat: 31.2304, lon: 121.4737, acc: 12 } },
    { seq: 43, ts: 1795341200000, emp: 'E1002', method: 'manual', manual: { reason: 'reader offline' } }
  ]
}

const buf = (o: unknown): Buffer => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o))

t.test('the PROTOCOL.md example decodes, with defaults filled in', async t => {
  const r = decodeBatch(buf(good))
  t.ok(r.ok)
  if (!r.ok) return
  t.equal(r.batch.id, 'b-17')
  t.equal(r.batch.tz, 480)
  t.equal(r.batch.punches.length, 3)
  t.same(r.rejected, [])
  t.equal(r.batch.punches[1].clock, 'synced', 'clock defaults to synced')
  t.equal(r.batch.punches[2].kind, 'auto', 'kind defaults to auto')
  t.same(r.batch.punches[1].loc, { lat: 31.2304, lon: 121.4737, acc: 12 })
})

t.test('encode then decode round-trips', async t => {
  const r = decodeBatch(buf(good))
  if (!r.ok) throw new Error('setup')
  const again = decodeBatch(Buffer.from(encodeBatch(r.batch)))
  t.ok(again.ok)
  if (again.ok) t.same(again.batch, r.batch)
})

const punchCases: Array<[string, Record<string, unknown>, string]> = [
  ['ts below range', { ts: 5 }, 'ts: must be an integer between'],
  ['ts not integer', { ts: 1795309083120.5 }, 'ts: '],
  ['ts beyond 2100', { ts: Date.UTC(2100, 0, 2) }, 'ts: '],
  ['emp missing', { emp: undefined }, 'emp: must be a string of 1 to 64 characters'],
  ['emp empty', { emp: '' }, 'emp: '],
  ['emp too long', { emp: 'x'.repeat(65) }, 'emp: '],
  ['kind unknown', { kind: 'lunch' }, 'kind: must be one of in, out, break-out, break-in, auto'],
  ['method unknown', { method: 'retina' }, 'method: must be one of'],
  ['method missing', { method: undefined }, 'method: '],
  ['clock unknown', { clock: 'maybe' }, 'clock: must be one of synced, unsynced'],
  ['loc not object', { loc: 5 }, 'loc: must be an object'],
  ['lat out of range', { loc: { lat: 91, lon: 0, acc: 1 } }, 'loc.lat: must be between -90 and 90'],
  ['lon out of range', { loc: { lat: 0, lon: -181, acc: 1 } }, 'loc.lon: must be between -180 and 180'],
  ['acc negative', { loc: { lat: 0, lon: 0, acc: -1 } }, 'loc.acc: must be a number of metres >= 0'],
  ['manual without method manual', { manual: { reason: 'x' } }, 'manual: allowed only when method is manual'],
  ['method manual without manual', { method: 'manual' }, 'manual: required when method is manual'],
  ['manual reason too long', { method: 'manual', manual: { reason: 'r'.repeat(201) } }, 'manual.reason: must be a string of 1 to 200 characters']
]

for (const [name, change, reason] of punchCases) {
  t.test(`a bad punch is rejected by seq, the rest stored: ${name}`, async t => {
    const bad = { seq: 7, ts: 1795309083120, emp: 'E1', kind: 'in', method: 'card', ...change }
    const r = decodeBatch(buf({ v: 1, epoch: '9f2c41d0', punches: [good.punches[0], bad] }))
    t.ok(r.ok, 'the message itself is readable')
    if (!r.ok) return
    t.equal(r.batch.punches.length, 1)
    t.equal(r.batch.punches[0].seq, 41)
    t.equal(r.rejected.length, 1)
    t.equal(r.rejected[0].seq, 7)
    t.match(r.rejected[0].reason, reason)
  })
}

const unreadable: Array<[string, Buffer, string, { id?: string, epoch?: string }?]> = [
  ['not JSON', buf('{"v":1,'), 'payload: not valid JSON'],
  ['not an object', buf('[1,2]'), 'payload: must be a JSON object'],
  ['wrong v', buf({ ...good, v: 2 }), 'v: must be 1', { id: 'b-17', epoch: '9f2c41d0' }],
  ['bad epoch', buf({ ...good, epoch: '9F2C41D0' }), 'epoch: must be 8 lowercase hex characters', { id: 'b-17' }],
  ['bad id', buf({ ...good, id: '' }), 'id: must be a string of 1 to 64 characters', { epoch: '9f2c41d0' }],
  ['tz out of range', buf({ ...good, tz: 900 }), 'tz: must be an integer between -720 and 840', { id: 'b-17' }],
  ['no punches', buf({ ...good, punches: [] }), 'punches: must be an array of 1 to 500 punches'],
  ['too many punches', buf({ ...good, punches: Array.from({ length: 501 }, (_, i) => ({ ...good.punches[0], seq: i + 1 })) }), 'punches: must be an array of 1 to 500'],
  ['a punch that is not an object', buf({ ...good, punches: [good.punches[0], 'x'] }), 'punches[1]: must be an object'],
  ['unreadable seq', buf({ ...good, punches: [good.punches[0], { ...good.punches[1], seq: 0 }] }), 'punches[1].seq: must be an integer between 1 and'],
  ['seq not a number', buf({ ...good, punches: [{ ...good.punches[0], seq: '41' }] }), 'punches[0].seq: ']
]

for (const [name, payload, error, echo] of unreadable) {
  t.test(`an unreadable message gets an error naming the field: ${name}`, async t => {
    const r = decodeBatch(payload)
    t.notOk(r.ok)
    if (r.ok) return
    t.match(r.error, error)
    if (echo?.id !== undefined) t.equal(r.id, echo.id, 'id echoed')
    if (echo?.epoch !== undefined) t.equal(r.epoch, echo.epoch, 'epoch echoed')
  })
}

t.test('an oversized payload is refused, still echoing the batch id', async t => {
  const big = { ...good, punches: [{ ...good.punches[0], emp: 'E1' }], pad: 'x'.repeat(LIMITS.maxPayloadBytes) }
  const r = decodeBatch(buf(big))
  t.notOk(r.ok)
  if (r.ok) return
  t.match(r.error, /^payload: must be at most 262144 bytes/)
  t.equal(r.id, 'b-17')
})

t.test('unknown fields are ignored (extensions never break older gateways)', async t => {
  const r = decodeBatch(buf({ ...good, fw: '2.0', punches: [{ ...good.punches[0], uptime: 1234 }] }))
  t.ok(r.ok)
})

t.test('lengths count characters, not UTF-16 units, as the schema does (found by test/fuzz-codecs.test.ts)', async t => {
  // The fuzzer's counterexample: an id of 33 emoji (66 UTF-16 units) was refused as "1 to 64 characters".
  const emoji = '\u{1f600}'
  const r = decodeBatch(buf({ ...good, id: emoji.repeat(33), punches: [{ ...good.punches[0], emp: emoji.repeat(64) }, { ...good.punches[2], manual: { reason: '\u{20000}'.repeat(200) } }] }))
  t.ok(r.ok)
  if (r.ok) t.same(r.rejected, [])
  const over = decodeBatch(buf({ ...good, punches: [{ ...good.punches[0], emp: emoji.repeat(65) }] }))
  t.ok(over.ok)
  if (over.ok) t.same(over.rejected, [{ seq: 41, reason: 'emp: must be a string of 1 to 64 characters' }])
  const lone = decodeBatch(buf({ ...good, id: '\ud800'.repeat(64) }))
  t.match(lone, { ok: false, error: 'id: must be valid UTF-8 text without control characters' }, 'a lone surrogate is counted, then refused as not text')
})

/** The batch as bytes, with `marker` (an ASCII placeholder inside a string) replaced by raw bytes. */
function withBytes (o: unknown, marker: string, bytes: number[]): Buffer {
  const text = JSON.stringify(o)
  const at = text.indexOf(marker)
  return Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bytes), Buffer.from(text.slice(at + marker.length))])
}

const TEXT_RULE = 'must be valid UTF-8 text without control characters'

t.test('device text: controls, lone surrogates and bytes that are not UTF-8 are refused by field; U+FFFD sent as UTF-8 is text', async t => {
  const p = good.punches[0]
  const cases: Array<[string, Buffer, string | undefined]> = [
    ['NUL in emp', buf({ ...good, punches: [{ ...p, emp: 'E1\u0000' }] }), `emp: ${TEXT_RULE}`],
    ['C1 control in emp', buf({ ...good, punches: [{ ...p, emp: 'E1\u0085' }] }), `emp: ${TEXT_RULE}`],
    ['lone surrogate in emp (escaped)', buf({ ...good, punches: [{ ...p, emp: 'E\ud800' }] }), `emp: ${TEXT_RULE}`],
    ['invalid byte in emp', withBytes({ ...good, punches: [{ ...p, emp: 'E1@@' }] }, '@@', [0xff]), `emp: ${TEXT_RULE}`],
    ['truncated sequence in emp', withBytes({ ...good, punches: [{ ...p, emp: 'E1@@' }] }, '@@', [0xe4, 0xb8]), `emp: ${TEXT_RULE}`],
    ['overlong encoding in emp', withBytes({ ...good, punches: [{ ...p, emp: 'E1@@' }] }, '@@', [0xc0, 0xaf]), `emp: ${TEXT_RULE}`],
    ['UTF-8 encoded surrogate in emp', withBytes({ ...good, punches: [{ ...p, emp: 'E1@@' }] }, '@@', [0xed, 0xa0, 0x80]), `emp: ${TEXT_RULE}`],
    // An escaped high surrogate then a bad byte must not decode into one valid astral character.
    ['escaped high surrogate then a bad byte', withBytes({ ...good, punches: [{ ...p, emp: '\ud800@@' }] }, '@@', [0xff]), `emp: ${TEXT_RULE}`],
    ['tab in manual.reason', buf({ ...good, punches: [{ ...good.punches[2], manual: { reason: 'a\tb' } }] }), `manual.reason: ${TEXT_RULE}`],
    ['invalid byte in manual.reason', withBytes({ ...good, punches: [{ ...good.punches[2], manual: { reason: 'late@@' } }] }, '@@', [0xfe]), `manual.reason: ${TEXT_RULE}`],
    ['U+FFFD sent as UTF-8', buf({ ...good, punches: [{ ...p, emp: 'E\ufffd1' }] }), undefined],
    ['U+FFFD beside a bad byte elsewhere', withBytes({ ...good, punches: [{ ...p, emp: 'E\ufffd1' }, { ...good.punches[1], emp: '@@' }] }, '@@', [0xff]), undefined],
    ['astral characters', buf({ ...good, punches: [{ ...p, emp: '\u{1f600}\u4e2d' }] }), undefined]
  ]
  for (const [name, payload, reason] of cases) {
    const r = decodeBatch(payload)
    if (!r.ok) { t.fail(`${name}: ${r.error}`); continue }
    if (reason === undefined) {
      t.same(r.batch.punches[0].emp, name.startsWith('astral') ? '\u{1f600}\u4e2d' : 'E\ufffd1', name)
    } else {
      t.same(r.rejected, [{ seq: r.rejected[0]?.seq, reason }], name)
      t.equal(r.rejected[0]?.seq, reason.startsWith('manual') ? 43 : 41, `${name}: that seq`)
    }
  }
  t.match(decodeBatch(buf({ ...good, id: 'b\u0000' })), { ok: false, error: `id: ${TEXT_RULE}`, id: undefined, epoch: '9f2c41d0' }, 'a batch id is device text too')
  t.match(decodeBatch(withBytes({ ...good, id: 'b@@' }, '@@', [0x80])), { ok: false, error: `id: ${TEXT_RULE}` })
  t.match(decodeBatch(withBytes(good, '"v"', [0xff])), { ok: false, error: /^payload: not valid JSON/ }, 'a bad byte outside a string: not JSON')
})

t.test('a seq repeated within a batch counts once: its first copy decides', async t => {
  const [a, b] = good.punches
  const bad = { ...a, ts: 5 }
  const r = decodeBatch(buf({ ...good, punches: [a, { ...a }, { ...a, emp: 'E9' }, bad, { ...b, seq: 50 }, { ...bad, seq: 50 }, { ...b, seq: 51, ts: 5 }, { ...b, seq: 51 }] }))
  if (!r.ok) throw new Error(r.error)
  t.same(r.batch.punches.map(p => [p.seq, p.emp]), [[41, 'E1001'], [50, 'E1001']], 'the first copy of each seq')
  t.same(r.rejected, [{ seq: 51, reason: 'ts: must be an integer between 946684800000 and 4102444800000 (2000-01-01 to 2100-01-01 in ms)' }])
  t.same(r.repeatConflicts, [41, 41, 50, 51], 'later copies that differ from the first (an equal copy is no conflict)')
  const kindLeftOut = decodeBatch(buf({ ...good, punches: [{ ...b, kind: 'auto' }, { ...b, kind: undefined }] }))
  t.match(kindLeftOut, { ok: true, repeatConflicts: [] }, 'a default left out equals the default written')
})

t.test('the size is checked before the payload is read: an oversized payload that is not JSON gets the size reason', async t => {
  const junk = Buffer.alloc(LIMITS.maxPayloadBytes + 1, '{')
  t.same(decodeBatch(junk), { ok: false, error: `payload: must be at most ${LIMITS.maxPayloadBytes} bytes (got ${LIMITS.maxPayloadBytes + 1})`, tooLarge: true })
  // The id and epoch are echoed when they lead the payload, before anything nested, as a device writes them.
  const pad = 'x'.repeat(LIMITS.maxPayloadBytes)
  t.match(decodeBatch(buf({ v: 1, id: 'b-\u00e9\u{1f600}', epoch: '9f2c41d0', punches: [good.punches[0]], pad })), { id: 'b-\u00e9\u{1f600}', epoch: '9f2c41d0', tooLarge: true })
  t.match(decodeBatch(buf({ v: 1, punches: [good.punches[0]], id: 'b-late', epoch: '9f2c41d0', pad })), { id: undefined, epoch: undefined }, 'not after the punches')
  t.match(decodeBatch(buf({ v: 1, id: 'b\u0000', epoch: 'NOPE', punches: [good.punches[0]], pad })), { id: undefined, epoch: undefined }, 'only what the rules accept')
  t.match(decodeBatch(withBytes({ v: 1, id: 'b@@', epoch: '9f2c41d0', punches: [good.punches[0]], pad }, '@@', [0xff])), { id: undefined, epoch: '9f2c41d0' }, 'an id that is not UTF-8 is not echoed')
})
