/**
 * Holds a connection's writes for a turn of the event loop, so that the packets one commit sends a device
 * leave in one write: a committed batch's PUBACK and then its ack message were two `writev` calls and two
 * TCP segments, each one more wake-up, read and parse for the device (docs/DESIGN-NOTES.md, "A batch's
 * PUBACK and ack in one write"). The writes are only corked: nothing is dropped or reordered.
 *
 * Why two setImmediates: aedes writes the PUBACK in the turn the commit answers, but delivers a QoS 1
 * message (the ack, device-sessions.ts) from a setImmediate of its own (lib/client.js, deliverQoS), queued
 * in that same turn's check phase after ours. Released at our first, the ack would miss the write; at the
 * second, the check phase of the next turn, it is in. Should aedes ever defer more, the ack goes in a
 * write of its own as before.
 */
import type { Duplex } from 'node:stream'

export class TurnWrites {
  readonly #held = new Set<Duplex>()
  #scheduled = false
  readonly #release = (): void => {
    this.#scheduled = false
    for (const conn of this.#held) conn.uncork()
    this.#held.clear()
  }

  readonly #afterNextImmediate = (): void => { setImmediate(this.#release) }

  /** Corks `conn` until the check phase of the next turn; once per connection until then. */
  hold (conn: Duplex): void {
    if (this.#held.has(conn) || conn.destroyed) return
    conn.cork()
    this.#held.add(conn)
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(this.#afterNextImmediate)
  }
}
