/**
 * A fake Wiegand-26 to serial converter: prints each card as a line, either as facility and card
 * ("W26 FC:123 CARD:45678") or as the 26 raw bits, and can garble the parity or the line.
 */
import { wiegand26Bits, type WiegandCard } from '../../device/inputs/serial/wiegand-text.js'
import { DevicePort, type WriteOptions } from './device-port.js'

export type WiegandStyle = 'fc' | 'bits'

export interface SwipeOptions extends WriteOptions {
  style?: WiegandStyle
  /** flips the last parity bit (bits style only) */
  badParity?: boolean
}

export function wiegandLine (c: WiegandCard, o: { style?: WiegandStyle, badParity?: boolean } = {}): string {
  if (o.style === 'bits') {
    let bits = wiegand26Bits(c)
    if (o.badParity === true) bits = bits.slice(0, 25) + (bits[25] === '1' ? '0' : '1')
    return `${bits}\r\n`
  }
  return `W26 FC:${c.facility} CARD:${c.card}\r\n`
}

export class FakeWiegand {
  readonly port: DevicePort

  private constructor (port: DevicePort) {
    this.port = port
  }

  static async open (path: string, baudRate = 9600): Promise<FakeWiegand> {
    return new FakeWiegand(await DevicePort.open(path, baudRate))
  }

  async swipe (card: WiegandCard, o: SwipeOptions = {}): Promise<void> {
    await this.port.write(wiegandLine(card, o), o)
  }

  async write (bytes: Buffer | string, o?: WriteOptions): Promise<void> {
    await this.port.write(bytes, o)
  }

  async close (): Promise<void> {
    await this.port.close()
  }
}
