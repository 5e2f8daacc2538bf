/**
 * NMEA 0183 from a GPS receiver: lines `$<talker><type>,…*hh`, the checksum being the XOR of every
 * character between `$` and `*`. GGA and RMC from any talker (GP, GN, GL, GA, BD) give fixes; other
 * sentences are checked and counted, then ignored.
 *
 * Accuracy: receivers send HDOP, not metres. HDOP × `accPerHdopM` (5 m by default, a typical user range
 * error for a single-frequency receiver) is the radius used, the rule of thumb in receiver datasheets; an
 * RMC takes the HDOP of the GGA of the same second, and a sentence with no HDOP at hand gets the
 * configured default (`defaultAccM`).
 */
import type { Location } from '../../../shared/punch.js'
import type { DecodeSink, PassiveDecoder } from './protocol.js'
import { withDefaults } from '../../../shared/options.js'

export type NmeaFix = Location & { ts: number }

export interface NmeaOptions {
  /** metres of horizontal error per unit of HDOP */
  accPerHdopM?: number
  /** metres reported when no HDOP is known */
  defaultAccM?: number
  /** for GGA-only receivers: the date comes from the clock, the time of day from the receiver */
  now?: () => number
}

const DAY_MS = 86_400_000
/** NMEA caps sentences at 82 characters; leave room for proprietary ones before calling it noise. */
const MAX_LINE = 256

export function nmeaChecksum (body: string): string {
  let x = 0
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i)
  return x.toString(16).toUpperCase().padStart(2, '0')
}

/** `$body*hh\r\n` (used by the fake receiver and round-trip tests) */
export function nmeaSentence (body: string): string {
  return `$${body}*${nmeaChecksum(body)}\r\n`
}

function coord (deg: number, width: number, pos: string, neg: string): string {
  const minutes = Math.round(Math.abs(deg) * 60 * 1e5) / 1e5
  const d = Math.floor(minutes / 60)
  const m = (minutes - d * 60).toFixed(5).padStart(8, '0')
  return `${String(d).padStart(width, '0')}${m},${deg < 0 ? neg : pos}`
}

function timeOfDay (ts: number): string {
  const d = new Date(ts)
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}.${String(Math.floor(d.getUTCMilliseconds() / 10)).padStart(2, '0')}`
}

export function formatRmc (f: NmeaFix, o: { talker?: string, valid?: boolean } = {}): string {
  const d = new Date(f.ts)
  const date = [d.getUTCDate(), d.getUTCMonth() + 1, d.getUTCFullYear() % 100].map(n => String(n).padStart(2, '0')).join('')
  const status = o.valid === false ? 'V' : 'A'
  return nmeaSentence(`${o.talker ?? 'GP'}RMC,${timeOfDay(f.ts)},${status},${coord(f.lat, 2, 'N', 'S')},${coord(f.lon, 3, 'E', 'W')},0.0,0.0,${date},,,${status === 'A' ? 'A' : 'N'}`)
}

export function formatGga (f: NmeaFix & { hdop?: number, quality?: number }, o: { talker?: string } = {}): string {
  const hdop = f.hdop === undefined ? '' : f.hdop.toFixed(1)
  return nmeaSentence(`${o.talker ?? 'GP'}GGA,${timeOfDay(f.ts)},${coord(f.lat, 2, 'N', 'S')},${coord(f.lon, 3, 'E', 'W')},${f.quality ?? 1},08,${hdop},100.0,M,0.0,M,,`)
}

function parseTime (s: string): number | undefined {
  const m = /^(\d\d)(\d\d)(\d\d(?:\.\d+)?)$/.exec(s)
  if (m === null) return undefined
  const h = Number(m[1]); const mi = Number(m[2]); const sec = Number(m[3])
  if (h > 23 || mi > 59 || sec >= 61) return undefined
  return Math.round(((h * 60 + mi) * 60 + sec) * 1000)
}

function parseCoord (value: string, hemi: string, maxDeg: number, pos: string, neg: string): number | undefined {
  if (!/^\d+(\.\d+)?$/.test(value) || (hemi !== pos && hemi !== neg)) return undefined
  const v = Number(value)
  const deg = Math.floor(v / 100)
  const min = v - deg * 100
  const out = deg + min / 60
  // Written so that NaN fails too: found by fuzzing (test/fuzz-serial.test.ts), a checksum-valid RMC with
  // a 400-digit latitude reads as Infinity degrees, NaN minutes, and gave a fix with lat NaN.
  if (!(min >= 0 && min < 60 && out <= maxDeg)) return undefined
  return Math.round((hemi === neg ? -out : out) * 1e7) / 1e7
}

export class NmeaDecoder implements PassiveDecoder {
  readonly #sink: DecodeSink<NmeaFix>
  readonly #o: Required<NmeaOptions>
  #line = ''
  /** UTC midnight and time of day of the last RMC, to date GGA sentences */
  #date?: { midnight: number, tod: number }
  #hdop?: { value: number, tod: number }

  constructor (sink: DecodeSink<NmeaFix>, opts: NmeaOptions = {}) {
    this.#sink = sink
    this.#o = withDefaults({ accPerHdopM: 5, defaultAccM: 25, now: Date.now }, opts)
  }

  push (chunk: Buffer): void {
    let start = 0
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]
      if (c !== 0x0a && c !== 0x0d) continue
      const line = this.#line + chunk.toString('latin1', start, i)
      this.#line = ''
      start = i + 1
      if (line.length > 0) this.#sentence(line)
    }
    this.#line += chunk.toString('latin1', start)
    if (this.#line.length > MAX_LINE) {
      // Keep a sentence that started inside the runaway line: found by fuzzing (test/fuzz-serial.test.ts),
      // 200 bytes of junk without a line end (a binary UBX message, a wrong baud rate) took the next
      // sentence with it whenever a read ended inside that sentence.
      const at = this.#line.lastIndexOf('$')
      const keep = at >= 0 && this.#line.length - at <= MAX_LINE ? this.#line.slice(at) : ''
      this.#sink.noise(this.#line.length - keep.length, 'line too long')
      this.#line = keep
    }
  }

  reset (): void {
    if (this.#line.length > 0) this.#sink.noise(this.#line.length, 'partial sentence dropped')
    this.#line = ''
  }

  #sentence (line: string): void {
    // From the last `$`: a sentence cut short by noise or a reset is followed by a whole one.
    const at = line.lastIndexOf('$')
    if (at < 0) { this.#sink.noise(line.length, 'no sentence start'); return }
    if (at > 0) this.#sink.noise(at, 'bytes before a sentence')
    const m = /^\$([^*]*)\*([0-9A-Fa-f]{2})\s*$/.exec(line.slice(at))
    if (m === null) { this.#sink.noise(line.length - at, 'sentence without a checksum'); return }
    if (nmeaChecksum(m[1]) !== m[2].toUpperCase()) { this.#sink.badChecksum(line.slice(at)); return }
    const f = m[1].split(',')
    const type = f[0].length === 5 ? f[0].slice(2) : ''
    this.#sink.frame(type === 'GGA' ? this.#gga(f) : type === 'RMC' ? this.#rmc(f) : undefined)
  }

  #gga (f: string[]): NmeaFix | undefined {
    const tod = parseTime(f[1] ?? '')
    const hdop = Number(f[8])
    // Finite too: found by fuzzing (test/fuzz-serial.test.ts), a 400-digit HDOP read as Infinity and gave
    // a fix (and so a punch) with acc Infinity, which JSON sends as null and the gateway refuses.
    if (tod !== undefined && f[8] !== '' && hdop > 0 && Number.isFinite(hdop)) this.#hdop = { value: hdop, tod }
    if (!(Number(f[6]) > 0) || tod === undefined) return undefined
    const lat = parseCoord(f[2] ?? '', f[3] ?? '', 90, 'N', 'S')
    const lon = parseCoord(f[4] ?? '', f[5] ?? '', 180, 'E', 'W')
    if (lat === undefined || lon === undefined) return undefined
    return { lat, lon, acc: this.#acc(tod), ts: this.#stamp(tod) }
  }

  #rmc (f: string[]): NmeaFix | undefined {
    const tod = parseTime(f[1] ?? '')
    const d = /^(\d\d)(\d\d)(\d\d)$/.exec(f[9] ?? '')
    if (tod === undefined) return undefined
    if (d !== null) {
      const year = Number(d[3]) + (Number(d[3]) < 80 ? 2000 : 1900)
      this.#date = { midnight: Date.UTC(year, Number(d[2]) - 1, Number(d[1])), tod }
    }
    // NMEA 2.3 adds a mode field; 'N' means no fix even when an old receiver still says A.
    if (f[2] !== 'A' || f[12] === 'N') return undefined
    const lat = parseCoord(f[3] ?? '', f[4] ?? '', 90, 'N', 'S')
    const lon = parseCoord(f[5] ?? '', f[6] ?? '', 180, 'E', 'W')
    if (lat === undefined || lon === undefined) return undefined
    return { lat, lon, acc: this.#acc(tod), ts: this.#stamp(tod) }
  }

  #acc (tod: number): number {
    const h = this.#hdop
    const apart = h === undefined ? Infinity : Math.abs(h.tod - tod)
    if (h === undefined || Math.min(apart, DAY_MS - apart) > 2000) return this.#o.defaultAccM
    return Math.round(h.value * this.#o.accPerHdopM * 10) / 10
  }

  /** A time of day on the RMC's date, or on the clock's date when no RMC has come, rolling over midnight. */
  #stamp (tod: number): number {
    const ref = this.#date ?? { midnight: Math.floor(this.#o.now() / DAY_MS) * DAY_MS, tod: this.#o.now() % DAY_MS }
    let ts = ref.midnight + tod
    if (tod - ref.tod > DAY_MS / 2) ts -= DAY_MS
    else if (ref.tod - tod > DAY_MS / 2) ts += DAY_MS
    return ts
  }
}
