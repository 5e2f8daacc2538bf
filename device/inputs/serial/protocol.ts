/**
 * The seam between a serial port and what speaks over it. Framing lives in the decoders (pure, fed
 * arbitrary chunks, tested byte by byte); the port, its reconnects and the debounce live in SerialInput.
 * Every byte a decoder drops is reported, never swallowed: noise and failed checksums are counted and
 * logged at debug, so a reader on a bad line shows as a number rather than as punches that never happened.
 */
import type { Location } from '../../../shared/punch.js'

/** What a pure decoder reports as chunks come in. */
export interface DecodeSink<T> {
  /** a frame passed its checksum; `value` is undefined when it carries nothing for us (an NMEA GSV) */
  frame (value: T | undefined): void
  /** a well-formed frame whose checksum (or Wiegand parity) failed; `raw` is for the debug log */
  badChecksum (raw: string): void
  /** bytes thrown away while resynchronising, and why */
  noise (bytes: number, why: string): void
}

/** What a protocol tells the input that owns the port. */
export interface ProtocolEvents {
  frame (): void
  /** someone presented a credential: card number, template id */
  credential (emp: string): void
  fix (fix: Location & { ts: number }): void
  badChecksum (raw: string): void
  noise (bytes: number, why: string): void
  /** a fault that is neither noise nor a checksum: a module error code, a timeout */
  error (why: string): void
  /** a finger the module does not know (R307) */
  noMatch (): void
}

/** One device's conversation over an open port. */
export interface SerialProtocol {
  /** bytes read from the port */
  push (chunk: Buffer): void
  /** the port is open; `write` sends to the device (only the R307 is ever asked anything) */
  opened (write: (bytes: Buffer) => void): void
  /** the port closed or failed: drop any partial frame, stop polling */
  closed (): void
}

/** A decoder that only listens: RDM6300, Wiegand converters, GPS receivers. */
export interface PassiveDecoder {
  push (chunk: Buffer): void
  /** forgets a partial frame (reported as noise) */
  reset (): void
}

export function passiveProtocol (decoder: PassiveDecoder): SerialProtocol {
  return {
    push: (chunk) => decoder.push(chunk),
    opened: () => {},
    closed: () => decoder.reset()
  }
}
