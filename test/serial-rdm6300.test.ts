/**
 * RDM6300 framing without a port: whole frames, frames cut at every byte, bad checksums, noise and
 * truncated frames before good ones, and encoder round trips.
 */
import t from 'tap'
import { Rdm6300Decoder, encodeRdm6300, rdm6300CardNumber, type Rdm6300Tag } from '../device/inputs/serial/rdm6300.js'
import { recorder } from './helpers/serial.js'

// Version 0x0F, tag 0x0012D687 (1234567): 0F ^ 00 ^ 12 ^ D6 ^ 87 = 4C.
const FRAME = Buffer.concat([Buffer.from([0x02]), Buffer.from('0F0012D6874C', 'ascii'), Buffer.from([0x03])])
const TAG: Rdm6300Tag = { version: 0x0f, tag: 1234567 }

function decoder (): { d: Rdm6300Decoder, r: ReturnType<typeof recorder<Rdm6300Tag>> } {
  const r = recorder<Rdm6300Tag>()
  return { d: new Rdm6300Decoder(r.sink), r }
}

t.test('a frame written out by hand decodes to its tag and ten-digit card number', async t => {
  const { d, r } = decoder()
  d.push(FRAME)
  t.same(r.frames, [TAG])
  t.equal(r.noise, 0)
  t.equal(rdm6300CardNumber(TAG.tag), '0001234567')
  t.equal(rdm6300CardNumber(0xffffffff), '4294967295')
  t.same(encodeRdm6300(TAG), FRAME, 'the encoder writes the same bytes')
})

t.test('lower-case hex is read too', async t => {
  const { d, r } = decoder()
  d.push(Buffer.from(FRAME.toString('latin1').toLowerCase(), 'latin1'))
  t.same(r.frames, [TAG])
})

t.test('a frame split at every byte position decodes once', async t => {
  for (let i = 1; i < FRAME.length; i++) {
    const { d, r } = decoder()
    d.push(FRAME.subarray(0, i))
    t.same(r.frames, [], `nothing before the end (split at ${i})`)
    d.push(FRAME.subarray(i))
    t.same(r.frames, [TAG], `split at ${i}`)
    t.equal(r.noise, 0)
  }
  const { d, r } = decoder()
  for (const b of FRAME) d.push(Buffer.from([b]))
  t.same(r.frames, [TAG], 'byte by byte')
})

t.test('a bad checksum is counted, dropped, and the next frame still decodes', async t => {
  const { d, r } = decoder()
  const bad = Buffer.from(FRAME)
  bad[12] = 0x44 // checksum "4D"
  d.push(Buffer.concat([bad, FRAME]))
  t.same(r.bad, ['0F0012D6874D'])
  t.same(r.frames, [TAG])
  t.equal(r.noise, 0)
})

t.test('noise before and between frames is counted and skipped', async t => {
  const { d, r } = decoder()
  d.push(Buffer.concat([Buffer.from('garbage\r\n'), FRAME, Buffer.from([0xff, 0x00, 0x03]), FRAME]))
  t.same(r.frames, [TAG, TAG])
  t.equal(r.noise, 12)
})

t.test('a truncated frame followed by a whole one: only the broken start is lost', async t => {
  const { d, r } = decoder()
  const truncated = FRAME.subarray(0, 6)
  d.push(Buffer.concat([truncated, FRAME]))
  t.same(r.frames, [TAG])
  t.equal(r.noise, truncated.length)
  t.same(r.bad, [])
})

t.test('a frame without its end byte, or with non-hex inside, is noise', async t => {
  const { d, r } = decoder()
  const noEtx = Buffer.from(FRAME)
  noEtx[13] = 0x04
  const notHex = Buffer.from(FRAME)
  notHex[5] = 0x5a
  d.push(Buffer.concat([noEtx, notHex]))
  t.same(r.frames, [])
  t.same(r.bad, [])
  t.equal(r.noise, 28)
})

t.test('reset drops a partial frame as noise', async t => {
  const { d, r } = decoder()
  d.push(FRAME.subarray(0, 9))
  d.reset()
  d.push(FRAME.subarray(9))
  t.same(r.frames, [])
  t.equal(r.noise, 14)
  t.same(r.noiseWhy, ['partial frame dropped', 'bytes outside a frame'])
})

t.test('round trips over edge and random tags', async t => {
  const { d, r } = decoder()
  const tags: Rdm6300Tag[] = [{ version: 0, tag: 0 }, { version: 0xff, tag: 0xffffffff }, { version: 1, tag: 0x80000000 }]
  let seed = 7
  const next = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed }
  for (let i = 0; i < 50; i++) tags.push({ version: next() & 0xff, tag: next() })
  d.push(Buffer.concat(tags.map(encodeRdm6300)))
  t.same(r.frames, tags)
  t.equal(r.noise, 0)
})
