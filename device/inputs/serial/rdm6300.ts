/**
 * RDM6300 (EM4100, 125 kHz) frames: STX 0x02, ten ASCII hex characters (two for the version or customer
 * byte, eight for the 32-bit tag), two ASCII hex characters of the XOR of those five bytes, ETX 0x03.
 * The module repeats the frame for as long as the card stays in the field; the debounce is SerialInput's.
 *
 * The credential is the 32-bit tag in decimal, zero-padded to ten digits ("0012345678"): that is the
 * number printed on EM4100 cards and fobs, so it is what HR already has on file. The version byte is not
 * part of it, as it is not part of the printed number.
 */
import type { DecodeSink, PassiveDecoder } from './protocol.js'

const STX = 0x02
const ETX = 0x03
const FRAME_BYTES = 14

export interface Rdm6300Tag {
  /** the version (customer) byte */
  version: number
  /** the 32-bit tag, unsigned */
  tag: number
}

/** The credential for a tag: the ten-digit decimal printed on the card. */
export function rdm6300CardNumber (tag: number): string {
  return (tag >>> 0).toString().padStart(10, '0')
}

function hexValue (c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10
  return -1
}

function hexByte (buf: Buffer, at: number): number {
  return (hexValue(buf[at]) << 4) | hexValue(buf[at + 1])
}

/** The frame a module sends for a tag (used by the fake reader and round-trip tests). */
export function encodeRdm6300 (t: Rdm6300Tag): Buffer {
  const data = [t.version & 0xff, (t.tag >>> 24) & 0xff, (t.tag >>> 16) & 0xff, (t.tag >>> 8) & 0xff, t.tag & 0xff]
  const check = data.reduce((a, b) => a ^ b, 0)
  const hex = [...data, check].map(b => b.toString(16).padStart(2, '0').toUpperCase()).join('')
  return Buffer.concat([Buffer.from([STX]), Buffer.from(hex, 'ascii'), Buffer.from([ETX])])
}

export class Rdm6300Decoder implements PassiveDecoder {
  readonly #sink: DecodeSink<Rdm6300Tag>
  readonly #buf = Buffer.alloc(FRAME_BYTES)
  #len = 0
  /** bytes skipped before a frame start, reported in one go rather than byte by byte */
  #skipped = 0

  constructor (sink: DecodeSink<Rdm6300Tag>) {
    this.#sink = sink
  }

  push (chunk: Buffer): void {
    for (let i = 0; i < chunk.length; i++) this.#feed(chunk[i])
    this.#flushSkipped()
  }

  reset (): void {
    this.#flushSkipped()
    if (this.#len > 0) this.#sink.noise(this.#len, 'partial frame dropped')
    this.#len = 0
  }

  #feed (b: number): void {
    if (this.#len === 0) {
      if (b === STX) {
        this.#flushSkipped()
        this.#buf[this.#len++] = b
      } else {
        this.#skipped++
      }
      return
    }
    this.#buf[this.#len++] = b
    const at = this.#len - 1
    const fits = at < FRAME_BYTES - 1 ? hexValue(b) >= 0 : b === ETX
    if (!fits) {
      this.#resync()
      return
    }
    if (this.#len === FRAME_BYTES) this.#complete()
  }

  /**
   * The bytes after a start did not make a frame. Only the start byte is thrown away: what followed is
   * scanned again, because a real frame may begin inside it (a truncated frame followed by a whole one).
   */
  #resync (): void {
    const rest = Buffer.from(this.#buf.subarray(1, this.#len))
    this.#len = 0
    this.#sink.noise(1, 'malformed frame')
    for (let i = 0; i < rest.length; i++) this.#feed(rest[i])
  }

  #complete (): void {
    const buf = this.#buf
    this.#len = 0
    let xor = 0
    for (let at = 1; at < 11; at += 2) xor ^= hexByte(buf, at)
    if (xor !== hexByte(buf, 11)) {
      this.#sink.badChecksum(buf.toString('ascii', 1, 13))
      return
    }
    const tag = ((hexByte(buf, 3) << 24) | (hexByte(buf, 5) << 16) | (hexByte(buf, 7) << 8) | hexByte(buf, 9)) >>> 0
    this.#sink.frame({ version: hexByte(buf, 1), tag })
  }

  #flushSkipped (): void {
    if (this.#skipped === 0) return
    this.#sink.noise(this.#skipped, 'bytes outside a frame')
    this.#skipped = 0
  }
}
