/**
 * The hand-written ISO formatter writes exactly what Date does, over the whole range it handles and at its
 * edges, and hands the rest to Date.
 */
import t from 'tap'
import fc from 'fast-check'
import { isoUtc, offsetText } from '../shared/iso-time.js'

const MIN = -62_167_219_200_000 // 0000-01-01T00:00:00.000Z
const MAX = 253_402_300_799_999 // 9999-12-31T23:59:59.999Z

t.test('isoUtc writes what Date.prototype.toISOString writes', async t => {
  fc.assert(fc.property(fc.integer({ min: MIN, max: MAX }), ms => isoUtc(ms) === new Date(ms).toISOString()), { numRuns: 200_000 })
  // Around now, where the punches are, more densely.
  const now = Date.now()
  fc.assert(fc.property(fc.integer({ min: now - 400 * 86_400_000, max: now + 400 * 86_400_000 }), ms => isoUtc(ms) === new Date(ms).toISOString()), { numRuns: 100_000 })
  const edges = [MIN, MIN + 1, MAX, MAX - 1, 0, -1, 1, Date.UTC(2000, 1, 29), Date.UTC(2100, 2, 1) - 1, Date.UTC(1900, 1, 28, 23, 59, 59, 999), Date.UTC(2024, 11, 31, 23, 59, 59, 999)]
  for (const ms of edges) t.equal(isoUtc(ms), new Date(ms).toISOString(), `${ms}`)
})

t.test('outside 0000..9999 and for fractions Date answers, including its errors', async t => {
  for (const ms of [MIN - 1, MAX + 1, 8.64e15, -8.64e15, 1.5, -0.5]) t.equal(isoUtc(ms), new Date(ms).toISOString(), `${ms}`)
  t.throws(() => isoUtc(NaN), RangeError)
  t.throws(() => isoUtc(8.64e15 + 1), RangeError)
})

// localIso's examples are in test/codec-messages.test.ts, beside the codec that carries `local`.
t.test('offsets are written as +hh:mm / -hh:mm', async t => {
  t.equal(offsetText(-720), '-12:00')
  t.equal(offsetText(840), '+14:00')
  t.equal(offsetText(345), '+05:45')
})
