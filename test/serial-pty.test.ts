/**
 * The runtime's serial input on one end of a real PTY pair (socat), a fake reader on the other: good
 * frames, frames split across writes, bad checksums, line noise, a card held on the reader, GPS fixes.
 */
import t from 'tap'
import { FakeRdm6300 } from '../fakes/hardware/fake-rdm6300.js'
import { FakeWiegand } from '../fakes/hardware/fake-wiegand.js'
import { FakeGps } from '../fakes/hardware/fake-gps.js'
import { inputOnPty, until } from './helpers/serial.js'

t.test('rdm6300: good, split, bad-checksum and noisy frames over a PTY', async t => {
  const rig = await inputOnPty(t, { name: 'door', kind: 'rdm6300', debounceMs: 0 })
  const fake = await FakeRdm6300.open(rig.pair.b)
  t.teardown(() => fake.close())
  t.same(rig.states, ['opening', 'open'])

  await fake.present(1234567)
  await until(() => rig.reads.length === 1, 'good frame')
  t.same(rig.reads[0], { input: 'door', emp: '0001234567', method: 'card' })

  await fake.present(89, { chunkSize: 3, gapMs: 20 })
  await until(() => rig.reads.length === 2, 'split frame')
  t.equal(rig.reads[1].emp, '0000000089')

  await fake.presentBadChecksum(555)
  await fake.write(Buffer.from([0x00, 0xff, 0x41, 0x03]))
  await fake.present(4294967295)
  await until(() => rig.reads.length === 3, 'frame after faults')
  t.equal(rig.reads[2].emp, '4294967295')
  const s = rig.input.stats()
  t.equal(s.badChecksum, 1)
  t.equal(s.noiseBytes, 4)
  t.equal(s.frames, 3)
  t.equal(s.reads, 3)
  t.equal(s.errors, 0)
})

t.test('rdm6300: a card held on the reader is one read; debounce runs from the last sighting', async t => {
  let clock = 1_000_000
  const rig = await inputOnPty(t, { name: 'door', kind: 'rdm6300' }, () => clock)
  const fake = await FakeRdm6300.open(rig.pair.b)
  t.teardown(() => fake.close())
  // Frames 1 s apart on the input's clock: each within 1.5 s of the one before, though the last is 4 s after the first.
  for (let i = 0; i < 5; i++) {
    await fake.present(777)
    await until(() => rig.input.stats().frames === i + 1, `frame ${i + 1}`)
    clock += 1000
  }
  t.equal(rig.reads.length, 1)
  t.equal(rig.input.stats().debounced, 4)
  await fake.present(778)
  await until(() => rig.reads.length === 2, 'another card is a read at once')
  clock += 1500
  await fake.present(777)
  await until(() => rig.reads.length === 3, 'the first card again after the window')
  t.same(rig.reads.map(r => r.emp), ['0000000777', '0000000778', '0000000777'])

  await fake.hold(900, { times: 5, everyMs: 30 })
  await until(() => rig.input.stats().frames === 12, 'held card frames')
  t.equal(rig.reads.length, 4, 'a held card (the clock standing still) is one read')
})

t.test('wiegand: both converter styles, split lines, bad parity and garbage', async t => {
  const rig = await inputOnPty(t, { name: 'gate', kind: 'wiegand', debounceMs: 0 })
  const fake = await FakeWiegand.open(rig.pair.b)
  t.teardown(() => fake.close())
  await fake.swipe({ facility: 123, card: 45678 })
  await fake.swipe({ facility: 1, card: 2 }, { style: 'bits', chunkSize: 5, gapMs: 15 })
  await fake.swipe({ facility: 1, card: 3 }, { style: 'bits', badParity: true })
  await fake.write('\x00~~noise~~\r\n')
  await fake.swipe({ facility: 200, card: 65535 })
  await until(() => rig.reads.length === 3, 'three good swipes')
  t.same(rig.reads.map(r => r.emp), ['123-45678', '001-00002', '200-65535'])
  t.same(rig.reads.map(r => r.method), ['card', 'card', 'card'])
  const s = rig.input.stats()
  t.equal(s.badChecksum, 1)
  t.equal(s.noiseBytes, 10)
})

t.test('wiegand: a configured format and credential template', async t => {
  const rig = await inputOnPty(t, {
    name: 'gate', kind: 'wiegand', wiegand: { formats: ['^ID (?<facility>\\d+) (?<card>\\d+)$'], emp: '{number:10}' }
  })
  const fake = await FakeWiegand.open(rig.pair.b)
  t.teardown(() => fake.close())
  await fake.write('ID 1 1\r\nW26 FC:1 CARD:1\r\n')
  await until(() => rig.reads.length === 1 && rig.input.stats().noiseBytes > 0, 'configured format read')
  t.equal(rig.reads[0].emp, '0000065537')
})

t.test('nmea: a track becomes fixes; bad checksums and no-fix sentences do not', async t => {
  const rig = await inputOnPty(t, { name: 'gps', kind: 'nmea' })
  const gps = await FakeGps.open(rig.pair.b)
  t.teardown(() => gps.close())
  const start = Date.UTC(2026, 10, 23, 8, 0, 0)
  const track = [0, 1, 2, 3].map(i => ({ lat: 52.52 + i * 0.0001, lon: 13.405 - i * 0.0001, ts: start + i * 1000, hdop: 1.5 }))
  await gps.play(track, { everyMs: 20, badEvery: 2, talker: 'GN' })
  await gps.send({ lat: 0, lon: 0, ts: start + 5000 }, { noFix: true })
  await gps.send({ lat: 52.53, lon: 13.41, ts: start + 6000, hdop: 0.8 }, { chunkSize: 7, gapMs: 10 })
  await until(() => rig.input.stats().frames === 8, 'all good sentences read')
  t.equal(rig.input.stats().badChecksum, 4, 'points 2 and 4 sent with bad checksums')
  t.same(rig.fixes.map(f => f.ts), [start, start, start + 2000, start + 2000, start + 6000, start + 6000])
  const last = rig.fixes[rig.fixes.length - 1]
  t.equal(last.input, 'gps')
  t.ok(Math.abs(last.lat - 52.53) < 1e-6 && Math.abs(last.lon - 13.41) < 1e-6)
  t.equal(last.acc, 4, 'HDOP 0.8 × 5 m')
  t.equal(rig.reads.length, 0)
})
