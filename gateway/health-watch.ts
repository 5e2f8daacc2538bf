/**
 * The alarms of a running gateway: evaluated every `alarms.intervalSeconds` and at once when the storage
 * guard turns full or resumes; each raise, change of severity and clear is one log line; the gauges
 * `punchline_alarms_active{severity}` and `punchline_alarm{name,severity}` follow. Adds to the database's
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
import { ALARM_NAMES, evaluateAlarms, type Alarm, type AlarmExtras, type Severity, type UpstreamState } from './alarms.js'

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

export interface ActiveAlarms {
  /** when they were evaluated (ms), null before the first evaluation */
  evaluatedAt: number | null
  alarms: Alarm[]
}

const SEVERITIES: readonly Severity[] = ['warning', 'critical']

export class HealthWatch {
  readonly #o: HealthWatchOptions
  readonly #upstream: UpstreamState
  readonly #flags: RecentFlags
  #active = new Map<string, Alarm>()
  #current: ActiveAlarms = { evaluatedAt: null, alarms: [] }
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
    for (const name of ALARM_NAMES) for (const s of SEVERITIES) opts.metrics.alarm.set({ name, severity: s }, 0)
    for (const s of SEVERITIES) opts.metrics.alarmsActive.set({ severity: s }, 0)
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

  /** What the last evaluation found (for /api/alarms). */
  current (): ActiveAlarms {
    return this.#current
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
      return this.#current.alarms
    }
    const next = new Map(alarms.map(a => [key(a), a]))
    for (const [k, a] of next) {
      const was = this.#active.get(k)
      if (was === undefined || was.severity !== a.severity) {
        log[a.severity === 'critical' ? 'error' : 'warn']({ alarm: a.name, severity: a.severity, subject: a.subject, was: was?.severity }, `alarm ${was === undefined ? 'raised' : 'now ' + a.severity}: ${a.message}`)
        this.#o.changed?.(was === undefined ? 'raised' : 'changed', a)
      }
    }
    for (const [k, a] of this.#active) {
      if (next.has(k)) continue
      log.info({ alarm: a.name, severity: a.severity, subject: a.subject }, `alarm cleared: ${a.name}${a.subject === undefined ? '' : ' ' + a.subject}`)
      this.#o.changed?.('cleared', a)
    }
    this.#active = next
    this.#current = { evaluatedAt: now(), alarms }
    this.#setGauges(alarms)
    return alarms
  }

  #setGauges (alarms: Alarm[]): void {
    const m = this.#o.metrics
    for (const s of SEVERITIES) {
      m.alarmsActive.set({ severity: s }, alarms.filter(a => a.severity === s).length)
      for (const name of ALARM_NAMES) m.alarm.set({ name, severity: s }, alarms.some(a => a.name === name && a.severity === s) ? 1 : 0)
    }
  }
}

function key (a: Alarm): string {
  return a.subject === undefined ? a.name : `${a.name}/${a.subject}`
}
