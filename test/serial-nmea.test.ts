/**
 * NMEA 0183 without a port: the textbook GGA and RMC, checksums, any talker, fix validity, accuracy from
 * HDOP, dates for GGA-only receivers across midnight, noise and split sentences, and encoder round trips.
 */
import t from 'tap'
import { NmeaDecoder, formatGga, formatRmc, nmeaChecksum, nmeaSentence, type NmeaFix } from '../device/inputs/serial/nmea.js'
import { corruptChecksum, trackSentences } from '../fakes/hardware/fake-gps.js'
import { recorder } from './helpers/serial.js'

// The examples every NMEA reference quotes, checksums included.
const RMC = '$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n'
const GGA = '$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n'
const TS = Date.UTC(1994, 2, 23, 12, 35, 19)

function decoder (now = (): number => Date.UTC(2026, 10, 23, 12, 0, 0)): { d: NmeaDecoder, r: ReturnType<typeof recorder<NmeaFix>> } {
  const r = recorder<NmeaFix>()
  return { d: new NmeaDecoder(r.sink, { now }), r }
}

t.test('the textbook RMC then GGA: position, date and time, accuracy from HDOP', async t => {
  const { d, r } = decoder()
  d.push(Buffer.from(RMC + GGA))
  t.equal(r.frames.length, 2)
  const [rmc, gga] = r.frames
  t.equal(rmc?.ts, TS)
  t.equal(rmc?.lat, 48.1173)
  t.ok(Math.abs((rmc?.lon ?? 0) - 11.5166667) < 1e-7)
  t.equal(rmc?.acc, 25, 'no HDOP yet: the default')
  t.equal(gga?.ts, TS, 'GGA dated by the RMC before it')
  t.equal(gga?.acc, 4.5, 'HDOP 0.9 × 5 m')
  t.equal(nmeaChecksum('GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W'), '6A')
})

t.test('an RMC takes the HDOP of the GGA of the same second, not an old one', async t => {
  const { d, r } = decoder()
  d.push(Buffer.from(GGA + RMC))
  t.equal(r.frames[1]?.acc, 4.5)
  d.push(Buffer.from(RMC.replace('123519', '123530').replace('*6A', '*' + nmeaChecksum('GPRMC,123530,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W'))))
  t.equal(r.frames[2]?.acc, 25)
})

t.test('any talker; southern and western hemispheres; round trips through the encoders', async t => {
  const { d, r } = decoder()
  const points = [
    { lat: -33.8688, lon: 151.2093, ts: Date.UTC(2026, 0, 2, 3, 4, 5, 600), acc: 0 },
    { lat: 37.7749, lon: -122.4194, ts: Date.UTC(2030, 11, 31, 23, 59, 59), acc: 0 },
    { lat: -0.0001, lon: -179.9999, ts: Date.UTC(2026, 5, 1), acc: 0 }
  ]
  for (const p of points) d.push(Buffer.from(formatRmc(p, { talker: 'GN' }) + formatGga({ ...p, hdop: 1.2 }, { talker: 'GL' })))
  t.equal(r.frames.length, 6)
  for (let i = 0; i < points.length; i++) {
    for (const f of [r.frames[2 * i], r.frames[2 * i + 1]]) {
      t.ok(Math.abs((f?.lat ?? 99) - points[i].lat) < 1e-6, `lat ${points[i].lat}`)
      t.ok(Math.abs((f?.lon ?? 999) - points[i].lon) < 1e-6, `lon ${points[i].lon}`)
      t.equal(f?.ts, points[i].ts)
    }
    t.equal(r.frames[2 * i + 1]?.acc, 6)
  }
})

t.test('no fix: RMC status V, RMC mode N, GGA quality 0, empty positions', async t => {
  const { d, r } = decoder()
  d.push(Buffer.from(trackSentences({ lat: 1, lon: 2, ts: TS }, { noFix: true })))
  d.push(Buffer.from(nmeaSentence('GPRMC,123519,A,4807.038,N,01131.000,E,0,0,230394,,,N')))
  d.push(Buffer.from(nmeaSentence('GPGGA,123519,,,,,0,00,99.9,,M,,M,,')))
  d.push(Buffer.from(nmeaSentence('GPRMC,123519,A,4867.038,N,01131.000,E,0,0,230394,,,A')))
  t.same(r.frames, [undefined, undefined, undefined, undefined, undefined], 'checked and counted, no fix')
})

t.test('other sentences are checked and counted, then ignored', async t => {
  const { d, r } = decoder()
  d.push(Buffer.from('$GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00*74\r\n'))
  t.same(r.frames, [undefined])
  t.equal(r.bad.length, 0)
})

t.test('bad checksums are counted and dropped; missing checksums and stray bytes are noise', async t => {
  const { d, r } = decoder()
  d.push(Buffer.from(corruptChecksum(RMC) + '$GPRMC,123519,A*\r\n' + 'xx' + GGA + 'junk\r\n'))
  t.equal(r.bad.length, 1)
  t.equal(r.frames.length, 1)
  t.equal(r.noise, 16 + 2 + 4)
  t.same(r.noiseWhy, ['sentence without a checksum', 'bytes before a sentence', 'no sentence start'])
})

t.test('a sentence cut short by a new one keeps the new one', async t => {
  const { d, r } = decoder()
  d.push(Buffer.from('$GPGGA,1235' + RMC))
  t.equal(r.frames.length, 1)
  t.equal(r.noise, 11)
})

t.test('a sentence split at every byte position decodes once', async t => {
  const line = Buffer.from(GGA)
  for (let i = 1; i < line.length; i++) {
    const { d, r } = decoder()
    d.push(line.subarray(0, i))
    d.push(line.subarray(i))
    t.equal(r.frames.length, 1, `split at ${i}`)
    t.equal(r.noise, 0)
  }
})

t.test('a GGA-only receiver: the date is the clock\'s, rolled back or forward across midnight', async t => {
  const send = (d: NmeaDecoder, time: string): void => {
    d.push(Buffer.from(nmeaSentence(`GPGGA,${time},0100.00000,N,00100.00000,E,1,08,1.0,100.0,M,0.0,M,,`)))
  }
  let clock = Date.UTC(2026, 10, 23, 12, 0, 30)
  const { d, r } = decoder(() => clock)
  send(d, '120000.00')
  t.equal(r.frames[0]?.ts, Date.UTC(2026, 10, 23, 12, 0, 0))
  clock = Date.UTC(2026, 10, 24, 0, 0, 5)
  send(d, '235959.00')
  t.equal(r.frames[1]?.ts, Date.UTC(2026, 10, 23, 23, 59, 59), 'the receiver is still before midnight')
  clock = Date.UTC(2026, 10, 23, 23, 59, 58)
  send(d, '000001.00')
  t.equal(r.frames[2]?.ts, Date.UTC(2026, 10, 24, 0, 0, 1), 'the receiver is already past midnight')
})

t.test('a runaway line is noise; reset drops a partial sentence', async t => {
  const { d, r } = decoder()
  d.push(Buffer.alloc(300, 0x47))
  t.equal(r.noise, 300)
  d.push(Buffer.from(GGA.slice(0, 20)))
  d.reset()
  d.push(Buffer.from(GGA.slice(20)))
  t.equal(r.frames.length, 0)
  t.equal(r.noise, 300 + GGA.length - 2)
})

t.test('regressions found by test/fuzz-serial.test.ts', async t => {
  await t.test('a checksum-valid sentence with a 400-digit latitude or HDOP gives no NaN or Infinity', async t => {
    const { d, r } = decoder()
    const huge = '9'.repeat(400)
    d.push(Buffer.from(nmeaSentence(`GPRMC,000000.00,A,${huge},N,00000.00000,E,0.0,0.0,010180,,,A`)))
    t.equal(r.frames.length, 1)
    t.equal(r.frames[0], undefined, 'an impossible latitude is no fix')
    d.push(Buffer.from(nmeaSentence(`GPGGA,000000.00,0000.00000,N,00000.00000,E,7,08,${huge},100.0,M,0.0,M,,`)))
    t.same(r.frames[1], { lat: 0, lon: 0, acc: 25, ts: Date.UTC(1980, 0, 1) }, 'an impossible HDOP is no HDOP: the default accuracy')
  })
  await t.test('junk longer than a line without a line end does not take the next sentence with it', async t => {
    const { d, r } = decoder()
    d.push(Buffer.alloc(250, 0))
    d.push(Buffer.from(RMC.slice(0, 40)))
    d.push(Buffer.from(RMC.slice(40)))
    t.equal(r.frames.length, 1)
    t.equal(r.frames[0]?.ts, TS)
    t.equal(r.noise, 250)
    t.same(r.noiseWhy, ['line too long'])
  })
})
