/**
 * The cluster console's alarms (docs/DESIGN-NOTES.md, "Alarms for a cluster"): every
 * `alarms.intervalSeconds` it reads the nodes, the shared outbox's backlog and the open dead letters from
 * PostgreSQL, evaluates (cluster-alarms.ts) and hands the result to an AlarmTracker, the single box's
 * book, log lines and gauges. One reading at a time, each bounded by READ_TIMEOUT_MS: a store that does not
 * answer raises cluster-store-unreachable instead of leaving the last good picture standing.
 */
import type { Logger } from '../../../shared/log.js'
import type { GatewayConfig } from '../../config.js'
import { CLUSTER_ALARM_NAMES, RING_WARN_FILL, type Alarm } from '../../alarms.js'
import type { AlarmGauges } from '../../alarm-gauges.js'
import type { ListedAlarm } from '../../alarm-book.js'
import { AlarmTracker } from '../../alarm-tracker.js'
import type { ClusterAdmin } from '../cluster-admin.js'
import { evaluateClusterAlarms, type ClusterReading, type ClusterThresholds } from './cluster-alarms.js'
import { MAX_DEVICE_ALARM_ROWS } from '../device-statuses.js'
import { withDeadline } from '../deadline.js'

/** longest one reading of the shared store may take before the console calls it unreachable */
export const READ_TIMEOUT_MS = 10_000

export interface ClusterAlarmWatchOptions {
  store: ClusterAlarmStore
  thresholds: GatewayConfig['alarms']
  /** rules.clockSkewMs: the clock-offset alarm's threshold, as on the single box */
  clockSkewMs: number
  gauges: AlarmGauges
  log: Logger
  now: () => number
}

export type ClusterAlarmStore = Pick<ClusterAdmin, 'listNodes' | 'backlog' | 'openDeadLetters' | 'deviceAlarmCandidates'>

export class ClusterAlarmWatch {
  readonly #o: ClusterAlarmWatchOptions
  readonly #tracker: AlarmTracker
  #timer?: NodeJS.Timeout
  #running?: Promise<void>

  constructor (opts: ClusterAlarmWatchOptions) {
    this.#o = opts
    this.#tracker = new AlarmTracker({ names: CLUSTER_ALARM_NAMES, gauges: opts.gauges, log: opts.log })
  }

  start (): void {
    void this.evaluate()
    this.#timer = setInterval(() => { void this.evaluate() }, this.#o.thresholds.intervalSeconds * 1000)
    this.#timer.unref()
  }

  async stop (): Promise<void> {
    clearInterval(this.#timer)
    await this.#running
  }

  /** Reads the store and evaluates; a reading still under way is awaited, not doubled. Never rejects. */
  async evaluate (): Promise<Alarm[]> {
    this.#running ??= this.#evaluate().finally(() => { this.#running = undefined })
    await this.#running
    return this.#tracker.active()
  }

  async #evaluate (): Promise<void> {
    const { store, thresholds, clockSkewMs, now } = this.#o
    this.#tracker.update(await clusterAlarmsNow(store, { ...thresholds, clockSkewMs }, now), now())
  }

  listed (): { evaluatedAt: number | null, items: ListedAlarm[] } {
    return this.#tracker.listed()
  }

  find (name: string, device?: string): ListedAlarm[] {
    return this.#tracker.find(name, device)
  }

  acknowledge (name: string, device: string | undefined, by: string): ListedAlarm[] {
    return this.#tracker.acknowledge(name, device, by, this.#o.now())
  }
}

/** One reading of the store, evaluated (the console's watch, `punchline alarms --cluster`). Never rejects. */
export async function clusterAlarmsNow (store: ClusterAlarmStore, thresholds: ClusterThresholds, now: () => number): Promise<Alarm[]> {
  let reading: ClusterReading | { error: string }
  try {
    reading = await withDeadline(read(store, thresholds, now()), READ_TIMEOUT_MS)
  } catch (err) {
    reading = { error: err instanceof Error ? err.message : String(err) }
  }
  return evaluateClusterAlarms(reading, thresholds, now())
}

async function read (s: ClusterAlarmStore, th: ClusterThresholds, now: number): Promise<ClusterReading> {
  const silentMs = th.deviceSilentMinutes * 60_000
  const [nodes, backlog, deadLetters, devices] = await Promise.all([s.listNodes(), s.backlog(), s.openDeadLetters(),
    s.deviceAlarmCandidates({ silentSince: silentMs > 0 ? now - silentMs : null, ringFill: RING_WARN_FILL, clockSkewMs: th.clockSkewMs, limit: MAX_DEVICE_ALARM_ROWS })])
  return { nodes, backlog, deadLetters, devices }
}
