/**
 * Bounds aedes does not have on what a connection makes the gateway buffer. mqtt-packet buffers a whole
 * packet before parsing it, up to the protocol's 256 MiB, so one client could make the gateway hold that
 * much memory, and many clients each holding an unfinished packet within the size bound add up to as much.
 * `FrameMeter` reads only the fixed headers (type byte and the variable-length "remaining length",
 * [MQTT-2.2.3]) of the byte stream and reports a packet over the limit before its body arrives:
 * - until the connection's CONNECT is accepted, a packet may announce at most `maxConnectBytes` (a
 *   CONNECT with a 64-char id, username, secret and status will is well under it), so a client without
 *   credentials can make the gateway hold only that much;
 * - afterwards at most `maxPacketBytes`;
 * - and the bytes of unfinished packets of all connections together stay within a `PartialBudget`.
 */

/** Why a connection was refused, as counted in `punchline_connections_refused_total{reason}`. */
export type FrameRefusal = 'packet_too_large' | 'connect_too_large' | 'partial_bytes_budget'

export interface FrameProblem { reason: FrameRefusal, message: string }

/** The bytes of unfinished packets held for all connections together (mqtt.maxPartialBytes). */
export class PartialBudget {
  readonly max: number
  used = 0

  constructor (maxBytes: number) {
    this.max = maxBytes
  }
}

export interface FrameBounds {
  maxPacketBytes: number
  maxConnectBytes: number
  budget: PartialBudget
}

export class FrameMeter {
  readonly #bounds: FrameBounds
  #max: number
  /** bytes of the current packet's body still to come; -1 while reading a fixed header */
  #remaining = -1
  #headerPos = 0
  #length = 0
  #multiplier = 1
  /** bytes of an unfinished packet's body this meter has counted in the shared budget */
  #held = 0

  constructor (bounds: FrameBounds) {
    this.#bounds = bounds
    this.#max = bounds.maxConnectBytes
  }

  /** The connection's CONNECT was accepted: from now on packets up to `maxPacketBytes`. */
  admit (): void {
    this.admitted = true
    this.#max = this.#bounds.maxPacketBytes
  }

  /** Its CONNECT was accepted (admit()). */
  admitted = false

  /** Bytes of an unfinished packet counted in the shared budget; release() gives them back. */
  get held (): number {
    return this.#held
  }

  /** The connection is gone (or refused): what it held no longer counts. */
  release (): void {
    this.#bounds.budget.used -= this.#held
    this.#held = 0
  }

  /** Feeds the next bytes of the stream; returns the problem when a packet breaks a bound. */
  feed (chunk: Buffer): FrameProblem | undefined {
    let i = 0
    const n = chunk.length
    while (i < n) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, n - i)
        this.#remaining -= take
        i += take
        if (this.#remaining === 0) this.#remaining = -1
        continue
      }
      const byte = chunk[i++]
      if (this.#headerPos === 0) {
        this.#headerPos = 1
        this.#length = 0
        this.#multiplier = 1
        continue
      }
      this.#length += (byte & 0x7f) * this.#multiplier
      this.#multiplier *= 128
      this.#headerPos++
      if ((byte & 0x80) !== 0) {
        if (this.#headerPos >= 5) return { reason: 'packet_too_large', message: 'malformed MQTT remaining length' }
        continue
      }
      if (this.#length > this.#max) return this.#tooLarge()
      this.#headerPos = 0
      this.#remaining = this.#length === 0 ? -1 : this.#length
    }
    return this.#account()
  }

  #tooLarge (): FrameProblem {
    if (this.#max === this.#bounds.maxPacketBytes) {
      return { reason: 'packet_too_large', message: `MQTT packet of ${this.#length} bytes exceeds the limit of ${this.#max}` }
    }
    return { reason: 'connect_too_large', message: `MQTT packet of ${this.#length} bytes before CONNECT was accepted exceeds the limit of ${this.#max}` }
  }

  /** Counts the unfinished packet's bytes (what mqtt-packet now buffers) in the shared budget. */
  #account (): FrameProblem | undefined {
    const held = this.#remaining > 0 ? this.#length - this.#remaining : 0
    const budget = this.#bounds.budget
    budget.used += held - this.#held
    this.#held = held
    if (budget.used <= budget.max) return undefined
    return { reason: 'partial_bytes_budget', message: `unfinished MQTT packets of all connections exceed ${budget.max} bytes` }
  }
}
