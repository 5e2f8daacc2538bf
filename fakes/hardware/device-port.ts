/**
 * The fake device's end of a PTY pair. It is a SerialPort, like the runtime's end, rather than an fs
 * stream: both ends then put the line in the same raw mode the same way, and reading a tty through fs
 * would hold a libuv pool thread in a blocking read until the next byte.
 */
import { SerialPort } from 'serialport'
import { setTimeout as sleep } from 'node:timers/promises'

export interface WriteOptions {
  /** write in pieces of this many bytes, to make frames arrive split */
  chunkSize?: number
  /** pause between pieces, so that each is read on its own */
  gapMs?: number
}

export class DevicePort {
  readonly port: SerialPort

  private constructor (port: SerialPort) {
    this.port = port
    // An unplug (socat killed) surfaces here; a fake device has nobody to tell, so it only stops.
    port.on('error', () => {})
  }

  /** Open after the runtime's end: serialport flushes the line on open, losing whatever was written before. */
  static async open (path: string, baudRate = 9600): Promise<DevicePort> {
    const port = new SerialPort({ path, baudRate, autoOpen: false })
    await new Promise<void>((resolve, reject) => port.open(err => err === null ? resolve() : reject(err)))
    return new DevicePort(port)
  }

  get isOpen (): boolean { return this.port.isOpen }

  async write (bytes: Buffer | string, o: WriteOptions = {}): Promise<void> {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes
    const size = Math.max(1, o.chunkSize ?? buf.length)
    for (let i = 0; i < buf.length; i += size) {
      if (i > 0 && (o.gapMs ?? 0) > 0) await sleep(o.gapMs ?? 0)
      await new Promise<void>((resolve, reject) => {
        this.port.write(buf.subarray(i, i + size))
        this.port.drain(err => err === null ? resolve() : reject(err))
      })
    }
  }

  async close (): Promise<void> {
    if (!this.port.isOpen) return
    await new Promise<void>(resolve => this.port.close(() => resolve()))
  }
}
