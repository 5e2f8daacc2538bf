/**
 * A fake GPS receiver: for each point of a track it sends RMC then GGA, as receivers do once a second,
 * and can send sentences with a wrong checksum or without a fix.
 */
import { formatGga, formatRmc, type NmeaFix } from '../../device/inputs/serial/nmea.js'
import { DevicePort, type WriteOptions } from './device-port.js'
import { setTimeout as sleep } from 'node:timers/promises'

export interface TrackPoint {
  lat: number
  lon: number
  ts: number
  hdop?: number
}

export interface SendOptions extends WriteOptions {
  talker?: string
  /** the checksum of every sentence sent is off by one */
  badChecksum?: boolean
  /** RMC status V and GGA quality 0: the receiver has no fix */
  noFix?: boolean
}

/** Changes the checksum's last hex digit, keeping it hex. */
export function corruptChecksum (sentence: string): string {
  const at = sentence.indexOf('*') + 2
  return sentence.slice(0, at) + (sentence[at] === '0' ? '1' : '0') + sentence.slice(at + 1)
}

export function trackSentences (p: TrackPoint, o: Omit<SendOptions, keyof WriteOptions> = {}): string {
  const fix: NmeaFix & { hdop?: number } = { lat: p.lat, lon: p.lon, acc: 0, ts: p.ts, hdop: p.hdop }
  const out = [
    formatRmc(fix, { talker: o.talker, valid: o.noFix !== true }),
    formatGga({ ...fix, quality: o.noFix === true ? 0 : 1 }, { talker: o.talker })
  ]
  return (o.badChecksum === true ? out.map(corruptChecksum) : out).join('')
}

export class FakeGps {
  readonly port: DevicePort

  private constructor (port: DevicePort) {
    this.port = port
  }

  static async open (path: string, baudRate = 9600): Promise<FakeGps> {
    return new FakeGps(await DevicePort.open(path, baudRate))
  }

  async send (p: TrackPoint, o: SendOptions = {}): Promise<void> {
    await this.port.write(trackSentences(p, o), o)
  }

  /** Plays a track, one point every `everyMs`; `badEvery` n sends every n-th point with bad checksums. */
  async play (track: TrackPoint[], o: SendOptions & { everyMs?: number, badEvery?: number } = {}): Promise<void> {
    for (let i = 0; i < track.length; i++) {
      if (i > 0) await sleep(o.everyMs ?? 1000)
      const bad = o.badEvery !== undefined && (i + 1) % o.badEvery === 0
      await this.send(track[i], { ...o, badChecksum: o.badChecksum === true || bad })
    }
  }

  async write (bytes: Buffer | string, o?: WriteOptions): Promise<void> {
    await this.port.write(bytes, o)
  }

  async close (): Promise<void> {
    await this.port.close()
  }
}
