/**
 * `punch` events: the ingest path tells this, after each commit, which seqs of a device were stored
 * (ingest.ts, `committed`); while a stream listens, the rows are read back (with the flags and the person
 * the rules set inside the transaction, on the commit thread) and published. Nothing is read when nobody
 * listens. The read happens a turn later and for a whole turn's commits at once, so the acks that follow a
 * commit never wait for it; and the seqs waiting for it are bounded (PUNCH_LOOKUP_MAX), past which events
 * are left out and counted rather than held.
 */
import type { Db, Statement } from '../store/db.js'
import type { LiveEvents } from './live-events.js'
import type { LiveMetrics } from './live-metrics.js'

/** Stored seqs waiting to be read back for their events; a flood beyond it is counted and left out. */
export const PUNCH_LOOKUP_MAX = 50_000

interface Committed { device: string, epoch: string, seqs: number[] }

interface Row { id: number, device: string, epoch: string, seq: number, ts: number, emp: string, person: string | null, kind: string, method: string, flags: string, received: number }

export class PunchEvents {
  readonly #bus: LiveEvents
  readonly #metrics: LiveMetrics
  readonly #rows: Statement
  #waiting: Committed[] = []
  #waitingSeqs = 0
  #scheduled = false

  constructor (db: Db, bus: LiveEvents, metrics: LiveMetrics) {
    this.#bus = bus
    this.#metrics = metrics
    this.#rows = db.prepare(`SELECT id, device, epoch, seq, ts, emp, person, kind, method, flags, received FROM punches
      WHERE device = ? AND epoch = ? AND seq IN (SELECT value FROM json_each(?)) ORDER BY id`)
  }

  /** A commit stored `seqs` of the device's `epoch` (called on the ingest path: cheap, never throws). */
  committed (device: string, epoch: string, seqs: number[]): void {
    if (!this.#bus.listening || seqs.length === 0) return
    if (this.#waitingSeqs + seqs.length > PUNCH_LOOKUP_MAX) {
      this.#metrics.eventsDropped('punch', 'lookup-backlog', seqs.length)
      return
    }
    this.#waiting.push({ device, epoch, seqs })
    this.#waitingSeqs += seqs.length
    if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(() => this.#publish())
    }
  }

  #publish (): void {
    const waiting = this.#waiting
    this.#waiting = []
    this.#waitingSeqs = 0
    this.#scheduled = false
    for (const c of waiting) {
      if (!this.#bus.listening) return
      let rows: Row[]
      try {
        rows = this.#rows.all(c.device, c.epoch, JSON.stringify(c.seqs)) as Row[]
      } catch {
        // The database is busy or gone (the gateway stops): the punches are stored, only their events are lost.
        this.#metrics.eventsDropped('punch', 'read-failed', c.seqs.length)
        continue
      }
      for (const r of rows) {
        const { flags, ...rest } = r
        this.#bus.publish('punch', { ...rest, flags: flags === '' ? [] : flags.split(',') })
      }
    }
  }
}
