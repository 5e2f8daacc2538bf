/**
 * What a process that raises alarms keeps between evaluations, whatever it evaluates: a single box's
 * gateway (health-watch.ts, from its SQLite) or a cluster's console (cluster/console/cluster-alarm-watch.ts,
 * from PostgreSQL). Each evaluation's raises, changes of severity and clears become one log line each; the
 * alarm book (alarm-book.ts) keeps when each was raised and who acknowledged it; the gauges (alarm-gauges.ts)
 * follow both.
 */
import type { Logger } from '../shared/log.js'
import type { Alarm, Severity } from './alarms.js'
import { AlarmBook, alarmKey, type AlarmAck, type ListedAlarm } from './alarm-book.js'
import { alarmLevel, ALARM_LEVELS, type AlarmLevel } from './alarm-level.js'
import type { AlarmGauges } from './alarm-gauges.js'

export interface ActiveAlarms {
  /** when they were evaluated (ms), null before the first evaluation */
  evaluatedAt: number | null
  /** as evaluated (severity warning or critical), with the support level, when raised and the acknowledgement */
  alarms: Array<Alarm & { level: AlarmLevel, raisedAt: number, acked: AlarmAck | null }>
}

export interface AlarmTrackerOptions {
  /** every alarm this process can raise: each has its gauge at 0 from the start */
  names: readonly string[]
  gauges: AlarmGauges
  log: Logger
  /** an alarm was raised, changed severity or cleared (the live events) */
  changed?: (state: 'raised' | 'changed' | 'cleared', alarm: Alarm) => void
}

const SEVERITIES: readonly Severity[] = ['warning', 'critical']

export class AlarmTracker {
  readonly #o: AlarmTrackerOptions
  #active = new Map<string, Alarm>()
  readonly #book = new AlarmBook()
  #evaluatedAt: number | null = null

  constructor (opts: AlarmTrackerOptions) {
    this.#o = opts
    const g = opts.gauges
    for (const name of opts.names) for (const s of SEVERITIES) g.alarm.set({ name, severity: s }, 0)
    for (const s of SEVERITIES) g.alarmsActive.set({ severity: s }, 0)
    for (const l of ALARM_LEVELS) g.alarmsUnacknowledged.set({ severity: l }, 0)
  }

  get evaluatedAt (): number | null { return this.#evaluatedAt }

  /** the alarms of the last evaluation */
  active (): Alarm[] { return [...this.#active.values()] }

  /** Takes an evaluation made at `now`: logs what changed, updates the book and the gauges. */
  update (alarms: Alarm[], now: number): void {
    const { log, changed } = this.#o
    const next = new Map(alarms.map(a => [alarmKey(a.name, a.subject), a]))
    for (const [k, a] of next) {
      const was = this.#active.get(k)
      if (was === undefined || was.severity !== a.severity) {
        log[a.severity === 'critical' ? 'error' : 'warn']({ alarm: a.name, severity: a.severity, subject: a.subject, was: was?.severity }, `alarm ${was === undefined ? 'raised' : 'now ' + a.severity}: ${a.message}`)
        changed?.(was === undefined ? 'raised' : 'changed', a)
      }
    }
    for (const [k, a] of this.#active) {
      if (next.has(k)) continue
      log.info({ alarm: a.name, severity: a.severity, subject: a.subject }, `alarm cleared: ${a.name}${a.subject === undefined ? '' : ' ' + a.subject}`)
      changed?.('cleared', a)
    }
    this.#active = next
    this.#evaluatedAt = now
    this.#book.update(alarms, now)
    this.#setGauges()
  }

  /** What the last evaluation found, each with its level, when raised and the acknowledgement. */
  current (): ActiveAlarms {
    const listed = new Map(this.#book.list().map(a => [alarmKey(a.name, a.device), a]))
    const alarms = [...this.#active.values()].map(a => {
      const l = listed.get(alarmKey(a.name, a.subject))!
      return { ...a, level: alarmLevel(a), raisedAt: l.raisedAt, acked: l.acked }
    })
    return { evaluatedAt: this.#evaluatedAt, alarms }
  }

  /** The raised alarms with their support level, when raised and the acknowledgement (/api/v1/alarms). */
  listed (): { evaluatedAt: number | null, items: ListedAlarm[] } {
    return { evaluatedAt: this.#evaluatedAt, items: this.#book.list() }
  }

  /** The raised alarms of `name` (of one device when given), for a caller deciding whether it may acknowledge. */
  find (name: string, device?: string): ListedAlarm[] {
    return this.#book.find(name, device)
  }

  acknowledge (name: string, device: string | undefined, by: string, now: number): ListedAlarm[] {
    const acked = this.#book.ack(name, device, by, now)
    this.#setGauges()
    return acked
  }

  #setGauges (): void {
    const g = this.#o.gauges
    const alarms = [...this.#active.values()]
    for (const s of SEVERITIES) {
      g.alarmsActive.set({ severity: s }, alarms.filter(a => a.severity === s).length)
      for (const name of this.#o.names) g.alarm.set({ name, severity: s }, alarms.some(a => a.name === name && a.severity === s) ? 1 : 0)
    }
    for (const l of ALARM_LEVELS) g.alarmsUnacknowledged.set({ severity: l }, this.#book.unacknowledged(l))
  }
}
