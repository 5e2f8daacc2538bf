/**
 * The alarms of a running gateway: evaluated every `alarms.intervalSeconds` and at once when the storage
 * guard turns full or resumes; each raise, change of severity and clear is one log line; the gauges
 * `punchline_alarms_active{severity}`, `punchline_alarm{name,severity}` and
 * `punchline_alarms_unacknowledged{severity}` (alarm-book.ts: when raised, who acknowledged) follow. Adds to the database's
 * snapshot what only this process knows: the last upstream delivery and failure, the guard's verdict.
 */
import type { EventEmitter } from 'node:events'
import type { Logger } from '../shared/log.js'
import type { GatewayConfig } from './config.js'
import type { Db } from './store/db.js'
import type { GatewayMetrics } from './metrics.js'
import type { Forwarder, ForwarderEvents } from './forward/forwarder.js'
import type { StorageGuard } from './storage-guard.js'
import { FLAGS_WINDOW_MS, healthSnapshot, type HealthSnapshot } from './health.js'
import { RecentFlags } from './recent-flags.js'
import { ALARM_NAMES, evaluateAlarms, type Alarm, type AlarmExtras, type UpstreamState } from './alarms.js'
import type { ListedAlarm } from './alarm-book.js'
import { AlarmTracker, type ActiveAlarms } from './alarm-tracker.js'
import { clearMovedAside } from './store/moved-aside.js'

export interface HealthWatchOptions {
  db: Db
  config: GatewayConfig
  guard: StorageGuard
  /** absent when no upstream is configured */
  forwarder?: Pick<EventEmitter<ForwarderEvents>, 'on'> & Pick<Forwarder, 'inFlight' | 'stats'>
  metrics: GatewayMetrics
  log: Logger
  now: () => number
  /** an alarm was raised, changed severity or cleared (the live events) */
  changed?: (state: 'raised' | 'changed' | 'cleared', alarm: Alarm) => void
}

export type { ActiveAlarms } from './alarm-tracker.js'

/** The alarm that only a person can end: acknowledging it clears it (store/moved-aside.ts). */
const ENDED_BY_ACK = 'database-moved-aside'

export class HealthWatch {
  readonly #o: HealthWatchOptions
  readonly #upstream: UpstreamState
  readonly #flags: RecentFlags
  readonly #tracker: AlarmTracker
  #timer?: NodeJS.Timeout
  #stopped = false

  constructor (opts: HealthWatchOptions) {
    this.#o = opts
    this.#flags = new RecentFlags(opts.db, FLAGS_WINDOW_MS, opts.now())
    const up: UpstreamState = this.#upstream = { lastDeliveredAt: null, since: opts.now(), lastFailure: null }
    opts.forwarder?.on('delivered', () => { up.lastDeliveredAt = opts.now() })
    opts.forwarder?.on('failure', (kind, error) => { up.lastFailure = { kind, error, at: opts.now() } })
    opts.guard.on('full', () => this.evaluate())
    opts.guard.on('resumed', () => this.evaluate())
    this.#tracker = new AlarmTracker({ names: ALARM_NAMES, gauges: opts.metrics, log: opts.log, changed: opts.changed })
    const forwarder = opts.forwarder
    if (forwarder !== undefined) {
      opts.metrics.gauge('punchline_forward_in_flight_requests', 'Deliveries to the upstream in flight now (at most forward.concurrency)', () => forwarder.inFlight().length)
      opts.metrics.gauge('punchline_forward_oldest_in_flight_seconds', 'How long the oldest delivery in flight has been outstanding (0 when none)', () => {
        const started = forwarder.inFlight().map(d => d.startedAt)
        return started.length === 0 ? 0 : (opts.now() - Math.min(...started)) / 1000
      })
    }
  }

  start (): void {
    void this.#tick()
    this.#timer = setInterval(() => { void this.#tick() }, this.#o.config.alarms.intervalSeconds * 1000)
    this.#timer.unref()
  }

  /** Brings the day's flag counts up to date in bounded steps, then evaluates. Never rejects. */
  async #tick (): Promise<void> {
    try {
      await this.#flags.advance(this.#o.now)
    } catch (err) {
      this.#o.log.error({ err }, 'counting recent flags failed; will try again at the next evaluation')
    }
    if (!this.#stopped) this.evaluate()
  }

  stop (): void {
    clearInterval(this.#timer)
    this.#flags.stop()
    this.#stopped = true
  }

  /** The database's snapshot with this gateway's own storage verdict (it also knows a failed commit). */
  snapshot (): HealthSnapshot {
    const now = this.#o.now()
    // Fresh when little was stored since the last step; otherwise the counts the last step left.
    this.#flags.step(now)
    const s = healthSnapshot(this.#o.db, this.#o.config, now, this.#flags.counts())
    const full = this.#o.guard.reason
    return full === undefined ? s : { ...s, storage: { ...s.storage, full } }
  }

  /** What the last evaluation found (for /api/alarms: its fields as they were, and the new ones). */
  current (): ActiveAlarms {
    return this.#tracker.current()
  }

  /** The raised alarms with their support level, when raised and the acknowledgement (/api/v1/alarms). */
  listed (): { evaluatedAt: number | null, items: ListedAlarm[] } {
    return this.#tracker.listed()
  }

  /** The raised alarms of `name` (of one device when given), for a caller deciding whether it may acknowledge. */
  find (name: string, device?: string): ListedAlarm[] {
    return this.#tracker.find(name, device)
  }

  /**
   * Acknowledges the raised alarms of `name` (of one device when given) and returns them. The moved-aside
   * alarm cannot clear by itself: acknowledging it ends it, as `punchline alarms ack` does.
   */
  acknowledge (name: string, device: string | undefined, by: string): ListedAlarm[] {
    const acked = this.#tracker.acknowledge(name, device, by, this.#o.now())
    if (name === ENDED_BY_ACK && acked.length > 0) {
      clearMovedAside(this.#o.db)
      this.evaluate()
    }
    return acked
  }

  extras (): AlarmExtras {
    return {
      clockSkewMs: this.#o.config.rules.clockSkewMs,
      upstream: this.#o.config.upstream === undefined ? undefined : this.#liveUpstream(),
      storageFull: this.#o.guard.reason
    }
  }

  /** What the forwarder knows now: the requests in flight, the last time the upstream answered at all. */
  #liveUpstream (): UpstreamState {
    const f = this.#o.forwarder
    if (f === undefined) return { ...this.#upstream }
    return { ...this.#upstream, lastAnsweredAt: f.stats().lastAnsweredAt, inFlight: f.inFlight() }
  }

  /** Evaluates now, logs what changed, sets the gauges. Never throws: a failed look is logged and skipped. */
  evaluate (): Alarm[] {
    const { config, log, now } = this.#o
    let alarms: Alarm[]
    try {
      alarms = evaluateAlarms(this.snapshot(), config.alarms, this.extras(), now())
    } catch (err) {
      log.error({ err }, 'alarm evaluation failed; keeping the previous alarms')
      return this.#tracker.active()
    }
    this.#tracker.update(alarms, now())
    return alarms
  }
}
