/**
 * One MQTT connection of the uplink (uplink.ts): its client, the batches it has in flight and its timers.
 * A session ends when its connection closes or the uplink leaves it (stop, or a fresh attempt by
 * syncNow); whatever its client still delivers afterwards finds it ended and is ignored, so a stale
 * connection never touches the state of the next one.
 */
import type { UplinkClient } from './uplink-client.js'

export interface InFlight {
  seqs: number[]
  timer: NodeJS.Timeout
}

export class UplinkSession {
  readonly client: UplinkClient
  /** subscribed to its acks and commands: batches may go out */
  online = false
  /** this connection has had its time command (or stopped waiting for it) */
  timeSettled = false
  timeGate?: NodeJS.Timeout
  statusTimer?: NodeJS.Timeout
  // Made with the first batch and dropped when the last is answered: a device that has nothing to send
  // holds no empty tables (the simulator runs thousands of sessions in one process).
  #inFlight?: Map<string, InFlight>
  #inFlightSeqs?: Set<number>
  #ended = false

  constructor (client: UplinkClient) {
    this.client = client
  }

  get ended (): boolean { return this.#ended }
  get inFlightBatches (): number { return this.#inFlight?.size ?? 0 }

  isInFlight (seq: number): boolean { return this.#inFlightSeqs?.has(seq) === true }

  sent (id: string, seqs: number[], timer: NodeJS.Timeout): void {
    const inFlightSeqs = this.#inFlightSeqs ??= new Set()
    for (const s of seqs) inFlightSeqs.add(s)
    ;(this.#inFlight ??= new Map()).set(id, { seqs, timer })
  }

  /** The batch is answered or given up: its seqs may be sent again. */
  release (id: string): InFlight | undefined {
    const f = this.#inFlight?.get(id)
    if (f === undefined) return undefined
    clearTimeout(f.timer)
    this.#inFlight!.delete(id)
    if (this.#inFlight!.size === 0) this.#forgetInFlight()
    else for (const s of f.seqs) this.#inFlightSeqs!.delete(s)
    return f
  }

  /** The time command came, or the wait for it is over: batches may go once online. */
  settleTime (): void {
    this.timeSettled = true
    clearTimeout(this.timeGate)
    // A spent timer is still an object; the connection need not keep it.
    this.timeGate = undefined
  }

  /** Its timers stop and its batches in flight are forgotten: their punches stay pending in the ring. */
  end (): void {
    this.#ended = true
    this.online = false
    clearInterval(this.statusTimer)
    clearTimeout(this.timeGate)
    if (this.#inFlight !== undefined) for (const f of this.#inFlight.values()) clearTimeout(f.timer)
    this.#forgetInFlight()
  }

  #forgetInFlight (): void {
    this.#inFlight = undefined
    this.#inFlightSeqs = undefined
  }
}
