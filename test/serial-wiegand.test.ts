/**
 * Wiegand-26 converter text without a port: the default formats, parity on raw bits, lines cut at every
 * byte, unreadable lines as noise, and the configurable formats and credential template.
 */
import t from 'tap'
import {
  WiegandTextDecoder, wiegand26Bits, wiegand26FromBits, compileWiegandEmp, compileWiegandFormats,
  DEFAULT_WIEGAND_EMP, type WiegandCard
} from '../device/inputs/serial/wiegand-text.js'
import { wiegandLine } from '../fakes/hardware/fake-wiegand.js'
import { recorder } from './helpers/serial.js'

function decoder (formats?: Array<string | RegExp>): { d: WiegandTextDecoder, r: ReturnType<typeof recorder<WiegandCard>> } {
  const r = recorder<WiegandCard>()
  return { d: new WiegandTextDecoder(r.sink, formats), r }
}

t.test('the common converter lines decode with the default formats', async t => {
  const { d, r } = decoder()
  d.push(Buffer.from('W26 FC:123 CARD:45678\r\nFC=7,CN=9\nwiegand26 fc:0 id:65535\r'))
  t.same(r.frames, [{ facility: 123, card: 45678 }, { facility: 7, card: 9 }, { facility: 0, card: 65535 }])
  t.equal(r.noise, 0)
})

t.test('raw bits: parity checked by hand-worked vectors', async t => {
  // facility 1, card 1: data bits 1-12 hold one 1 (even parity bit 1), bits 13-24 one 1 (odd parity bit 0)
  t.equal(wiegand26Bits({ facility: 1, card: 1 }), '10000000100000000000000010')
  t.same(wiegand26FromBits('10000000100000000000000010'), { facility: 1, card: 1 })
  t.equal(wiegand26FromBits('00000000100000000000000010'), undefined, 'even parity wrong')
  t.equal(wiegand26FromBits('10000000100000000000000011'), undefined, 'odd parity wrong')
  t.equal(wiegand26FromBits('1000000010000000000000001'), undefined, 'only 25 bits')
  const { d, r } = decoder()
  d.push(Buffer.from('10000000100000000000000010\r\nW26:00000000100000000000000011\r\n'))
  t.same(r.frames, [{ facility: 1, card: 1 }])
  t.same(r.bad, ['W26:00000000100000000000000011'], 'bad parity counts as a bad checksum')
})

t.test('round trips through the fake converter\'s lines, both styles', async t => {
  const { d, r } = decoder()
  const cards: WiegandCard[] = [{ facility: 0, card: 0 }, { facility: 255, card: 65535 }, { facility: 123, card: 45678 }, { facility: 170, card: 21845 }]
  for (const c of cards) d.push(Buffer.from(wiegandLine(c, { style: 'bits' }) + wiegandLine(c, { style: 'fc' })))
  t.same(r.frames, cards.flatMap(c => [c, c]))
  d.push(Buffer.from(wiegandLine(cards[2], { style: 'bits', badParity: true })))
  t.equal(r.bad.length, 1)
})

t.test('a line split at every byte position decodes once', async t => {
  const line = Buffer.from('W26 FC:123 CARD:45678\r\n')
  for (let i = 1; i < line.length; i++) {
    const { d, r } = decoder()
    d.push(line.subarray(0, i))
    d.push(line.subarray(i))
    t.same(r.frames, [{ facility: 123, card: 45678 }], `split at ${i}`)
    t.equal(r.noise, 0)
  }
})

t.test('unreadable lines and out-of-range numbers are noise; blank lines are nothing', async t => {
  const { d, r } = decoder()
  d.push(Buffer.from('\r\n\r\nhello\r\nW26 FC:300 CARD:1\r\n\x00\xff\r\nW26 FC:1 CARD:2\r\n', 'latin1'))
  t.same(r.frames, [{ facility: 1, card: 2 }])
  t.equal(r.noise, 5 + 17 + 2)
  t.same(r.noiseWhy, ['line matches no format', 'not a Wiegand-26 facility and card', 'line matches no format'])
})

t.test('a runaway line without an end is dropped as noise; reset drops a partial line', async t => {
  const { d, r } = decoder()
  d.push(Buffer.alloc(200, 0x41))
  t.equal(r.noise, 200)
  d.push(Buffer.from('W26 FC:1'))
  d.reset()
  d.push(Buffer.from(' CARD:2\r\n'))
  t.same(r.frames, [])
  t.equal(r.noise, 200 + 8 + 7)
})

t.test('a configured format, with flags that would otherwise keep state between lines', async t => {
  const { d, r } = decoder([/^CARD (?<facility>\d+)\/(?<card>\d+)$/g, 'raw=(?<bits>[01]+)'])
  d.push(Buffer.from('CARD 5/6\nCARD 5/6\nRAW=10000000100000000000000010\nW26 FC:1 CARD:2\n'))
  t.same(r.frames, [{ facility: 5, card: 6 }, { facility: 5, card: 6 }, { facility: 1, card: 1 }])
  t.equal(r.noise, 15, 'the default format is not used once formats are configured')
})

t.test('formats without the named groups, or that do not compile, are refused with the index', async t => {
  t.throws(() => compileWiegandFormats(['(?<card>\\d+)']), /wiegand.formats\[0\]: needs the named groups/)
  t.throws(() => compileWiegandFormats([/(?<bits>[01]{26})/, '(?<bits>[01]+']), /wiegand.formats\[1\]: not a valid regular expression/)
})

t.test('credential templates', async t => {
  const c = { facility: 12, card: 345 }
  t.equal(DEFAULT_WIEGAND_EMP, '{facility:3}-{card:5}')
  t.equal(compileWiegandEmp(DEFAULT_WIEGAND_EMP)(c), '012-00345')
  t.equal(compileWiegandEmp('{number}')(c), String(12 * 65536 + 345))
  t.equal(compileWiegandEmp('W{number:10}')(c), 'W0000786777')
  t.equal(compileWiegandEmp('{facility}:{card}')(c), '12:345')
  t.throws(() => compileWiegandEmp('{site}-{card}'), /unknown placeholder \{site\}/)
  t.throws(() => compileWiegandEmp('{facility}'), /must contain \{card\} or \{number\}/)
})
