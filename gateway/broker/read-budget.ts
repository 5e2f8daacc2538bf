/**
 * The bytes the broker reads from connected devices per turn of the event loop (`mqtt.readBytesPerTurn`).
 * aedes reads a connection's next chunk as soon as the packets of its last one are done, and a punch batch
 * is done when its group commit is: when the commit thread answers, every device in that group has its
 * next batches parsed, decoded and checked in that same turn. After a site outage that is thousands of
 * batches, a turn of seconds, and the listening socket is polled once per turn: the devices still
 * connecting wait behind the backlogs of those already in until they give up (docs/DESIGN-NOTES.md,
 * "Admission: a bound on connections being set up"). Past the budget a read returns nothing and the
 * connection waits its turn in a queue, read again (in order) from the next turn's check phase, after
 * the loop has polled its sockets (and accepted) once more. Connections whose CONNECT is not accepted
 * yet are not held back: they are what the budget makes room for.
 *
 * The same budget bounds what is read and not yet done (`mqtt.maxReadBytesInFlight`): aedes reads a
 * connection's next chunk only once the packets of its last one are done, so a chunk counts from its read
 * until the connection reads again (or closes). With every device of a reconnected fleet admitted at once,
 * each with its batches in flight, that is what the gateway's memory grows with.
 */
import type { ConnectionSocket } from './connection-socket.js'

export class ReadBudget {
  readonly perTurn: number
  readonly maxInFlight: number
  #left: number
  #inFlight = 0
  #scheduled = false
  /** connections waiting to read, oldest first; `#held` says which are in it */
  #queue: ConnectionSocket[] = []
  readonly #held = new WeakSet<object>()
  readonly #flush = (): void => this.#run()

  constructor (perTurn: number, maxInFlight: number) {
    this.perTurn = perTurn
    this.maxInFlight = maxInFlight
    this.#left = perTurn
  }

  /** Bytes read whose connection has not read again yet. */
  get inFlight (): number {
    return this.#inFlight
  }

  /** Connections waiting for a turn to read. */
  get waiting (): number {
    return this.#queue.length
  }

  /** May `socket` read now? If not, it is queued and read again in a later turn. */
  mayRead (socket: ConnectionSocket): boolean {
    if (this.#held.has(socket)) return false
    if (this.#left > 0 && this.#inFlight < this.maxInFlight) return true
    this.#held.add(socket)
    this.#queue.push(socket)
    this.#schedule()
    return false
  }

  /** `bytes` were read now; they count in flight until done(). */
  spent (bytes: number): void {
    this.#left -= bytes
    this.#inFlight += bytes
    this.#schedule()
  }

  /** A chunk read earlier is done with (its connection reads again, or closed). */
  done (bytes: number): void {
    this.#inFlight -= bytes
    if (this.#queue.length > 0) this.#schedule()
  }

  #schedule (): void {
    if (this.#scheduled) return
    this.#scheduled = true
    // From the check phase of this turn; one scheduled from there runs in the next turn's, after its poll.
    setImmediate(this.#flush)
  }

  /** A new turn's budget; the waiting connections read again, oldest first, while it lasts. */
  #run (): void {
    this.#scheduled = false
    this.#left = this.perTurn
    const queue = this.#queue
    let i = 0
    while (i < queue.length && this.#left > 0 && this.#inFlight < this.maxInFlight) {
      const socket = queue[i++]
      this.#held.delete(socket)
      // aedes reads on 'readable'; a connection that went meanwhile has nothing to read.
      if (!socket.destroyed) socket.emit('readable')
    }
    this.#queue = i === 0 ? queue : queue.slice(i)
    // Held back by bytes in flight only: done() schedules the next run.
    if (this.#queue.length > 0 && this.#inFlight < this.maxInFlight) this.#schedule()
  }
}
