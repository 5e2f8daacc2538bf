/**
 * A fake RDM6300 on the device end of a PTY: sends EM4100 frames the way the module does, repeating them
 * while a card is held, and on demand the faults a real line has (bad checksums, noise, split frames).
 */
import { encodeRdm6300, type Rdm6300Tag } from '../../device/inputs/serial/rdm6300.js'
import { DevicePort, type WriteOptions } from './device-port.js'
import { setTimeout as sleep } from 'node:timers/promises'

export interface HoldOptions {
  version?: number
  /** frames sent (the module repeats about every 65 ms while the card stays) */
  times?: number
  everyMs?: number
}

export class FakeRdm6300 {
  readonly port: DevicePort

  private constructor (port: DevicePort) {
    this.port = port
  }

  static async open (path: string, baudRate = 9600): Promise<FakeRdm6300> {
    return new FakeRdm6300(await DevicePort.open(path, baudRate))
  }

  static frame (tag: number, version = 0): Buffer {
    return encodeRdm6300({ version, tag })
  }

  /** The same frame with its checksum characters changed. */
  static badFrame (tag: number, version = 0): Buffer {
    const f = encodeRdm6300({ version, tag } satisfies Rdm6300Tag)
    f[12] = f[12] === 0x30 ? 0x31 : 0x30
    return f
  }

  /** A card put on the reader and held there for `times` frames. */
  async hold (tag: number, o: HoldOptions = {}): Promise<void> {
    const frame = FakeRdm6300.frame(tag, o.version)
    for (let i = 0; i < (o.times ?? 1); i++) {
      if (i > 0) await sleep(o.everyMs ?? 65)
      await this.port.write(frame)
    }
  }

  async present (tag: number, write: WriteOptions = {}): Promise<void> {
    await this.port.write(FakeRdm6300.frame(tag), write)
  }

  async presentBadChecksum (tag: number): Promise<void> {
    await this.port.write(FakeRdm6300.badFrame(tag))
  }

  async write (bytes: Buffer | string, o?: WriteOptions): Promise<void> {
    await this.port.write(bytes, o)
  }

  async close (): Promise<void> {
    await this.port.close()
  }
}
