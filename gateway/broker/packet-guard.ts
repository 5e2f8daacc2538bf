/**
 * A bound aedes does not have: the size of one MQTT packet. mqtt-packet buffers a whole packet before
 * parsing it, up to the protocol's 256 MiB, so one client could make the gateway hold that much memory.
 * `FrameMeter` reads only the fixed headers (type byte and the variable-length "remaining length",
 * [MQTT-2.2.3]) of the byte stream and reports a packet over the limit before its body arrives.
 */
export class FrameMeter {
  readonly #max: number
  /** bytes of the current packet's body still to come; -1 while reading a fixed header */
  #remaining = -1
  #headerPos = 0
  #length = 0
  #multiplier = 1

  constructor (maxPacketBytes: number) {
    this.#max = maxPacketBytes
  }

  /** Feeds the next bytes of the stream; returns an error message when a packet breaks the bound. */
  feed (chunk: Buffer): string | undefined {
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
        if (this.#headerPos >= 5) return 'malformed MQTT remaining length'
        continue
      }
      if (this.#length > this.#max) return `MQTT packet of ${this.#length} bytes exceeds the limit of ${this.#max}`
      this.#headerPos = 0
      this.#remaining = this.#length === 0 ? -1 : this.#length
    }
    return undefined
  }
}
