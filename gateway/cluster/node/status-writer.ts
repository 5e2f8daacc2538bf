/**
 * A node's device statuses on their way to the shared store (gateway/cluster/device-statuses.ts). A fleet
 * reconnecting at once (100,000 devices after a broker restart) sends a status each within seconds: one
 * transaction per status would queue that many on the database. Statuses are coalesced per device in
 * memory instead (the latest wins; the last that described the device rides along) and written every
 * STATUS_FLUSH_MS in multi-row upserts, at most STATUS_ROWS_PER_FLUSH devices a flush, the rest the next.
 *
 * Bounds: at most STATUS_MAX_PENDING devices wait; a status of a device beyond that is dropped and
 * counted (its next status, or the one after a reconnection, says the same again). A flush that fails puts
 * its rows back unless a newer status came meanwhile, within the same bound; a status is never retried
 * past it. Flushes never overlap: each is scheduled when the one before has ended.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { Logger } from '../../../shared/log.js'
import type { DeviceStatus } from '../../../shared/codec/status.js'
import type { ClusterStore } from '../cluster-store.js'
import { describes, type StatusTaken } from '../device-statuses.js'

/** how often a node writes the statuses it took */
export const STATUS_FLUSH_MS = 1000
/** most devices written in one flush (statements of postgres/device-statuses.ts's size) */
export const STATUS_ROWS_PER_FLUSH = 20_000
/** most devices whose status waits for a flush */
export const STATUS_MAX_PENDING = 200_000

export interface StatusWriterOptions {
  store: Pick<ClusterStore, 'saveStatuses'>
  node: string
  registry: Registry
  log: Logger
  flushMs?: number
  rowsPerFlush?: number
  maxPending?: number
}

/** a device's waiting status, and the last that described it when the latest does not */
interface Pending { last: StatusTaken, described?: StatusTaken }

export type TakeOutcome = 'queued' | 'coalesced' | 'dropped'

export class StatusWriter {
  readonly #o: Required<Omit<StatusWriterOptions, 'registry'>>
  readonly #pending = new Map<string, Pending>()
  readonly #written: Counter
  readonly #coalesced: Counter
  readonly #dropped: Counter<'reason'>
  readonly #failures: Counter
  #timer?: NodeJS.Timeout
  #current: Promise<void> = Promise.resolve()
  #stopped = false
  #failing = false

  constructor (o: StatusWriterOptions) {
    this.#o = { flushMs: STATUS_FLUSH_MS, rowsPerFlush: STATUS_ROWS_PER_FLUSH, maxPending: STATUS_MAX_PENDING, ...o }
    const registers = [o.registry]
    this.#written = new Counter({ name: 'punchline_cluster_device_statuses_written_total', help: "Devices' statuses written to the shared store (rows changed)", registers })
    this.#coalesced = new Counter({ name: 'punchline_cluster_device_statuses_coalesced_total', help: 'Device statuses replaced by a newer one of the same device before they were written', registers })
    this.#dropped = new Counter({
      name: 'punchline_cluster_device_statuses_dropped_total',
      help: `Device statuses never written: queue-full (${this.#o.maxPending} devices already waited), store-failed (a flush failed and the queue was full), stopped (the last flush at stop failed)`,
      labelNames: ['reason'],
      registers
    })
    this.#failures = new Counter({ name: 'punchline_cluster_device_statuses_flush_failures_total', help: 'Flushes of device statuses the shared store refused or did not answer (their rows wait for the next)', registers })
    const pending = this.#pending
    new Gauge({ name: 'punchline_cluster_device_statuses_pending', help: 'Devices whose status waits for the next flush', registers, collect () { this.set(pending.size) } }) // eslint-disable-line no-new
  }

  get pending (): number { return this.#pending.size }

  /** A status this node took; written at the next flush. */
  take (device: string, status: DeviceStatus, receivedAt: number): TakeOutcome {
    return this.#put({ device, status, receivedAt, node: this.#o.node }, 'queue-full')
  }

  #put (row: StatusTaken, reason: 'queue-full' | 'store-failed'): TakeOutcome {
    const had = this.#pending.get(row.device)
    if (had === undefined) {
      if (this.#pending.size >= this.#o.maxPending) {
        this.#dropped.inc({ reason })
        return 'dropped'
      }
      this.#pending.set(row.device, { last: row })
      return 'queued'
    }
    if (had.last.receivedAt > row.receivedAt) {
      // An older status (a failed flush's, put back) still describes the device when the newer does not.
      if (describes(row.status) && !describes(had.last.status) && (had.described?.receivedAt ?? -1) < row.receivedAt) had.described = row
      return 'coalesced'
    }
    this.#coalesced.inc()
    const described = describes(had.last.status) ? had.last : had.described
    had.last = row
    had.described = describes(row.status) ? undefined : described
    return 'coalesced'
  }

  start (): void {
    this.#schedule()
  }

  #schedule (): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => { this.#current = this.#flush().then(() => { this.#schedule() }) }, this.#o.flushMs)
    this.#timer.unref()
  }

  async #flush (): Promise<void> {
    const rows: StatusTaken[] = []
    let devices = 0
    for (const [device, p] of this.#pending) {
      if (devices++ >= this.#o.rowsPerFlush) break
      this.#pending.delete(device)
      if (p.described !== undefined) rows.push(p.described)
      rows.push(p.last)
    }
    if (rows.length === 0) return
    try {
      this.#written.inc(await this.#o.store.saveStatuses(rows))
      if (this.#failing) this.#o.log.info('device statuses written again')
      this.#failing = false
    } catch (err) {
      if (!this.#failing) this.#o.log.warn({ err }, 'writing device statuses failed; they wait for the next flush (the console shows them late)')
      this.#failing = true
      this.#failures.inc()
      // Put back, oldest first, so a newer status taken meanwhile stays the latest.
      for (const r of rows) this.#put(r, 'store-failed')
    }
  }

  /** No more flushes after the last, which writes what waits (a failed one's rows are left, and said so). */
  async stop (): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#current
    await this.#flush()
    const left = this.#pending.size
    if (left > 0) {
      this.#dropped.inc({ reason: 'stopped' }, left)
      this.#o.log.warn({ devices: left }, 'device statuses not written at stop (the devices send them again at their next status)')
    }
  }
}
