/**
 * The console's charts over the last day: every `history.sampleSeconds` one row with the backlog, the
 * punches delivered upstream and received from devices since the row before, and the devices online.
 * Rows go to SQLite (table `history`), pruned to HISTORY_KEEP_HOURS: a restart keeps the day the charts
 * show, a row a minute is a few kilobytes a day, and the write rides on the gateway's own connection once a
 * minute. Counts of a sample are those of this process: the first sample after a start counts from the start,
 * and while the gateway was down there are no rows (a chart shows the gap).
 */
import type { Db, Statement } from '../store/db.js'
import type { Logger } from '../../shared/log.js'

/** Samples kept, and the most GET /api/v1/history?hours= may ask for. */
export const HISTORY_KEEP_HOURS = 48

export interface HistoryPoint {
  /** when the sample was taken (ms since the epoch) */
  t: number
  /** stored punches the upstream had not accepted yet */
  backlog: number
  /** punches the upstream accepted since the sample before */
  delivered: number
  /** punches stored from devices since the sample before */
  received: number
  devicesOnline: number
}

export interface HistorySamplerOptions {
  db: Db
  intervalMs: number
  backlog: () => number
  devicesOnline: () => number
  now: () => number
  log: Logger
}

export class HistorySampler {
  readonly #o: HistorySamplerOptions
  readonly #insert: Statement
  readonly #prune: Statement
  readonly #points: Statement
  #received = 0
  #delivered = 0
  #timer?: NodeJS.Timeout

  constructor (o: HistorySamplerOptions) {
    this.#o = o
    this.#insert = o.db.prepare('INSERT OR REPLACE INTO history (t, backlog, delivered, received, devices_online) VALUES (?, ?, ?, ?, ?)')
    this.#prune = o.db.prepare('DELETE FROM history WHERE t < ?')
    this.#points = o.db.prepare('SELECT t, backlog, delivered, received, devices_online AS devicesOnline FROM history WHERE t >= ? ORDER BY t')
  }

  get intervalMs (): number { return this.#o.intervalMs }

  /** Punches stored now (the ingest path: one addition). */
  received (n: number): void { this.#received += n }
  /** Punches the upstream accepted now. */
  delivered (n: number): void { this.#delivered += n }

  start (): void {
    this.#timer = setInterval(() => this.sample(), this.#o.intervalMs).unref()
  }

  stop (): void {
    clearInterval(this.#timer)
  }

  /** Takes a sample now; a failed write is logged and its counts carried to the next one. */
  sample (): void {
    const { now, log } = this.#o
    const t = now()
    try {
      this.#insert.run(t, this.#o.backlog(), this.#delivered, this.#received, this.#o.devicesOnline())
      this.#prune.run(t - HISTORY_KEEP_HOURS * 3_600_000)
      this.#delivered = 0
      this.#received = 0
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not record a history sample; its counts go into the next one')
    }
  }

  points (hours: number): HistoryPoint[] {
    return this.#points.all(this.#o.now() - hours * 3_600_000) as HistoryPoint[]
  }
}
