import t from 'tap'
import { LIMITS } from '../shared/punch.js'
import { decodeAck, encodeAck } from '../shared/codec/ack.js'
import { decodeStatus, encodeStatus, OFFLINE_WILL } from '../shared/codec/status.js'
import { decodeCommand, encodeCommand } from '../shared/codec/command.js'
import { toRanges, rangesContain, countInRanges } from '../shared/ranges.js'
import { Topics } from '../shared/topics.js'
import { localIso } from '../shared/iso-time.js'
import { retryDelay, parseRetryAfter } from '../shared/backoff.js'

t.test('seq ranges compress and answer membership', async t => {
  t.same(toRanges([]), [])
  t.same(toRanges([43, 41, 44, 45, 60, 42, 42]), [[41, 45], [60, 60]])
  t.ok(rangesContain([[41, 45], [60, 60]], 60))
  t.notOk(rangesContain([[41, 45]], 46))
  t.equal(countInRanges([[41, 45], [60, 60]]), 6)
})

t.test('acks round-trip and bad ones are refused with the field', async t => {
  const ack = { v: 1 as const, id: 'b-17', epoch: '9f2c41d0', ok: [[41, 41], [43, 60]] as Array<[number, number]>, rejected: [{ seq: 42, reason: 'loc.lat: must be between -90 and 90' }] }
  const r = decodeAck(encodeAck(ack))
  t.ok(r.ok)
  if (r.ok) t.same(r.ack, ack)
  const e = decodeAck(encodeAck({ v: 1, id: 'b-1', error: 'v: must be 1' }))
  t.ok(e.ok)
  if (e.ok) t.same(e.ack, { v: 1, id: 'b-1', epoch: undefined, error: 'v: must be 1' })
  const bad = decodeAck('{"v":1,"epoch":"9f2c41d0","ok":[[5,2]]}')
  t.notOk(bad.ok)
  if (!bad.ok) t.match(bad.error, /^ok\[0\]: /)
  t.notOk(decodeAck('nope').ok)
})

t.test('status round-trips; the will is the offline status', async t => {
  const s = { v: 1 as const, online: true, fw: '1.0.0', epoch: '9f2c41d0', clock: { synced: true }, ring: { capacity: 100000, pending: 12, oldestPendingTs: 1795309083120, overwritten: 0, refused: 0 }, battery: 0.82 }
  const r = decodeStatus(encodeStatus(s))
  t.ok(r.ok)
  if (r.ok) t.same(r.status, s)
  t.same(JSON.parse(encodeStatus(OFFLINE_WILL)), { v: 1, online: false })
  const bad = decodeStatus('{"v":1,"online":true,"ring":{"capacity":-1,"pending":0,"overwritten":0,"refused":0}}')
  t.notOk(bad.ok)
  if (!bad.ok) t.equal(bad.error, 'ring.capacity: must be an integer >= 0')
  const battery = decodeStatus('{"v":1,"online":true,"battery":2}')
  if (!battery.ok) t.match(battery.error, /^battery: /)
})

t.test('status extensions are checked as the schema has them (found by test/fuzz-codecs.test.ts)', async t => {
  const base = { v: 1, online: true, ring: { capacity: 10, pending: 0, oldestPendingTs: null, overwritten: 0, refused: 0 } }
  const cases: Array<[object, string]> = [
    // the fuzzer's counterexamples, accepted before
    [{ ...base, ring: { ...base.ring, expired: '' } }, 'ring.expired: must be an integer >= 0'],
    [{ ...base, uptime: 1.000000000000001 }, 'uptime: must be an integer of ms >= 0'],
    [{ ...base, ring: { ...base.ring, rejected: -1 } }, 'ring.rejected: must be an integer >= 0'],
    [{ ...base, clock: { synced: true, offsetMs: 'x' } }, 'clock.offsetMs: must be a number of ms'],
    [{ ...base, uptime: 'x' }, 'uptime: must be an integer of ms >= 0'],
    [{ ...base, fw: 'x'.repeat(65) }, 'fw: must be a string of at most 64 characters']
  ]
  for (const [s, error] of cases) t.same(decodeStatus(JSON.stringify(s)), { ok: false, error }, error)
  const good = { ...base, fw: '\u{1f600}'.repeat(64), clock: { synced: true, offsetMs: -1.5 }, ring: { ...base.ring, expired: 1, rejected: 2 }, uptime: 0 }
  t.same(decodeStatus(JSON.stringify(good)), { ok: true, status: good }, 'fw of 64 emoji is 64 characters')
})

t.test('an ack id is counted in characters (found by test/fuzz-codecs.test.ts)', async t => {
  const r = decodeAck(JSON.stringify({ v: 1, id: '\u{1f600}'.repeat(33), error: '' }))
  t.ok(r.ok)
})

t.test('commands round-trip and unknown ops are named', async t => {
  const time = { v: 1 as const, op: 'time' as const, now: 1795341200000 }
  const r1 = decodeCommand(encodeCommand(time))
  t.ok(r1.ok)
  if (r1.ok) t.same(r1.command, time)
  const resend = { v: 1 as const, op: 'resend' as const, epoch: '9f2c41d0', from: 1, to: 500 }
  const r2 = decodeCommand(encodeCommand(resend))
  if (r2.ok) t.same(r2.command, resend)
  const r3 = decodeCommand('{"v":1,"op":"reboot"}')
  t.notOk(r3.ok)
  if (!r3.ok) t.equal(r3.error, 'op: must be one of time, resend')
  const r4 = decodeCommand('{"v":1,"op":"resend","epoch":"9f2c41d0","from":10,"to":2}')
  if (!r4.ok) t.equal(r4.error, 'to: must be a seq >= from')
})

t.test('topics: build and parse with a configurable prefix', async t => {
  const topics = new Topics()
  t.equal(topics.of('T-0001', 'punches'), 'att/v1/T-0001/punches')
  t.same(topics.parse('att/v1/T-0001/acks'), { device: 'T-0001', channel: 'acks' })
  t.equal(topics.parse('att/v1/T-0001/other'), undefined)
  t.equal(topics.parse('att/v1/bad id/acks'), undefined)
  t.equal(topics.parse('att/v2/T-0001/acks'), undefined)
  t.equal(topics.parse('att/v1/T-0001/acks/x'), undefined)
  const site = new Topics('site-7/att/v1')
  t.same(site.parse('site-7/att/v1/W_9/status'), { device: 'W_9', channel: 'status' })
  t.throws(() => new Topics('att/#'))
})

t.test('local time carries the device offset', async t => {
  t.equal(localIso(Date.parse('2026-11-22T00:58:03.120Z'), 480), '2026-11-22T08:58:03.120+08:00')
  t.equal(localIso(Date.parse('2026-11-22T00:58:03.120Z'), -330), '2026-11-21T19:28:03.120-05:30')
  t.equal(localIso(Date.parse('2026-11-22T00:58:03.120Z'), 0), '2026-11-22T00:58:03.120+00:00')
})

t.test('backoff is capped full jitter; Retry-After reads seconds and dates', async t => {
  const policy = { baseMs: 1000, capMs: 10_000 }
  t.equal(retryDelay(0, policy, () => 0.999), 999)
  t.equal(retryDelay(3, policy, () => 0.5), 4000)
  t.equal(retryDelay(50, policy, () => 0.999), 9990, 'capped')
  t.equal(retryDelay(50, policy, () => 0), 0, 'full jitter reaches zero')
  t.equal(parseRetryAfter('7', 0), 7000)
  t.equal(parseRetryAfter(new Date(60_000).toUTCString(), 0), 60_000)
  t.equal(parseRetryAfter('soon', 0), undefined)
  t.equal(parseRetryAfter(undefined, 0), undefined)
})

t.test('a status is bounded in bytes before it is parsed, and its text is device text', async t => {
  const max = LIMITS.maxStatusBytes
  t.same(decodeStatus(Buffer.alloc(max + 1, '[')), { ok: false, error: `payload: must be at most ${max} bytes (got ${max + 1})`, tooLarge: true }, 'not JSON, over the bound: the size reason')
  const padded = JSON.stringify({ v: 1, online: true, ext: 'x'.repeat(max) })
  t.match(decodeStatus(padded), { ok: false, tooLarge: true }, 'unknown fields count toward the bound')
  const fits = JSON.stringify({ v: 1, online: true, ext: 'x'.repeat(max - 40) })
  t.match(decodeStatus(fits), { ok: true }, 'extensions within the bound are kept')
  t.same(decodeStatus('{"v":1,"online":true,"fw":"1.0\\u0000"}'), { ok: false, error: 'fw: must be valid UTF-8 text without control characters' })
  t.same(decodeStatus(Buffer.concat([Buffer.from('{"v":1,"online":true,"fw":"1.0'), Buffer.from([0xff]), Buffer.from('"}')])),
    { ok: false, error: 'fw: must be valid UTF-8 text without control characters' }, 'a byte that is not UTF-8')
  t.same(decodeStatus('{"v":1,"online":true,"inputs":{"door\\n":{"state":"open","reconnects":0,"badChecksum":0,"noiseBytes":0,"errors":0}}}'),
    { ok: false, error: 'inputs: an input name must be valid UTF-8 text without control characters' })
})
