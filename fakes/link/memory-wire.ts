/**
 * A connection inside one process: two stream ends, what one writes the other reads, like a socket pair.
 *
 * Why: 10,000 simulated devices and an embedded gateway in one process over TCP need four descriptors per
 * device (device socket, the site link's two, the gateway's), 40,000 in all, past a usual open-file limit
 * (`ulimit -n`). The bytes on the wire are the same MQTT the devices and the gateway speak over TCP,
 * parsed by the same code on both sides; only the kernel's part is left out.
 *
 * Like TCP, delivery is never synchronous: what is written in one turn of the event loop arrives together
 * in a later one. Delivering inside write() would let a PUBACK run the device's next publish inside the
 * broker's own call stack, a recursion no real socket allows. A delay (latency with jitter) keeps the
 * order of chunks, as TCP does.
 */
import { Duplex } from 'node:stream'

export class WireEnd extends Duplex {
  peer!: WireEnd
  readonly remoteAddress: string
  readonly remotePort = 0
  readonly #delay: () => number
  #queue: Buffer[] = []
  #flushing = false
  #ending = false
  #lastDue = 0

  constructor (remoteAddress: string, delay: () => number) {
    super({ allowHalfOpen: false })
    this.remoteAddress = remoteAddress
    this.#delay = delay
  }

  /** Nagle is a kernel matter; the uplink asks for it off, as on any socket. */
  setNoDelay (): this { return this }

  override _read (): void {}

  override _write (chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.#queue.push(chunk)
    this.#schedule()
    done()
  }

  override _final (done: (err?: Error | null) => void): void {
    // Goes with the next delivery, after what is queued: an end must not overtake the data before it.
    this.#ending = true
    this.#schedule()
    done()
  }

  override _destroy (err: Error | null, done: (err?: Error | null) => void): void {
    this.#queue = []
    // Both ends go, as with a reset: the far side sees its connection closed.
    if (!this.peer.destroyed) this.peer.destroy()
    done(err)
  }

  /** One delivery per turn (or per delay) carries everything queued by then. */
  #schedule (): void {
    if (this.#flushing) return
    this.#flushing = true
    const delay = this.#delay()
    if (delay <= 0 && this.#lastDue <= Date.now()) {
      setImmediate(() => this.#flush())
      return
    }
    const due = Math.max(this.#lastDue, Date.now() + delay)
    this.#lastDue = due
    setTimeout(() => this.#flush(), due - Date.now())
  }

  #flush (): void {
    this.#flushing = false
    const chunks = this.#queue
    this.#queue = []
    if (this.peer.destroyed) return
    if (chunks.length > 0) this.peer.push(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks))
    if (this.#ending) {
      this.#ending = false
      this.peer.push(null)
    }
  }
}

/** Two joined ends: `client` for the device, `server` for the broker. `delay()` is read per write (ms). */
export function memoryWire (delay: () => number = () => 0): { client: WireEnd, server: WireEnd } {
  const client = new WireEnd('127.0.0.1', delay)
  const server = new WireEnd('127.0.0.1', delay)
  client.peer = server
  server.peer = client
  return { client, server }
}

/** A client end that fails the way a refused TCP connect does: asynchronously, with ECONNREFUSED. */
export function refusedWire (): WireEnd {
  const { client } = memoryWire()
  const err = Object.assign(new Error('connect ECONNREFUSED (the simulated link is down)'), { code: 'ECONNREFUSED' })
  setImmediate(() => client.destroy(err))
  return client
}
