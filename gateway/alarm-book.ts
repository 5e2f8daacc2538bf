/**
 * What the running gateway remembers about each alarm while it stays raised: when it was raised and who
 * acknowledged it. An acknowledgement silences that raise (punchline_alarms_unacknowledged drops it, the
 * console greys it) but the alarm stays listed until its cause clears; once cleared, the next raise is a
 * new one, unacknowledged. One that grows more severe (major to critical) is a new notification, so its
 * acknowledgement is dropped. Kept in memory: a restart raises what is still wrong anew.
 */
import type { Alarm } from './alarms.js'
import { alarmLevel, ALARM_LEVELS, type AlarmLevel } from './alarm-level.js'

export interface AlarmAck { by: string, at: number }

export interface ListedAlarm {
  name: Alarm['name']
  /** the device it is about; absent for the gateway as a whole */
  device?: string
  severity: AlarmLevel
  message: string
  raisedAt: number
  acked: AlarmAck | null
}

interface Entry { raisedAt: number, level: AlarmLevel, acked: AlarmAck | null }

export function alarmKey (name: string, device: string | undefined): string {
  return device === undefined ? name : `${name}/${device}`
}

const rank = (l: AlarmLevel): number => ALARM_LEVELS.indexOf(l)

export class AlarmBook {
  #entries = new Map<string, Entry>()
  #alarms: readonly Alarm[] = []

  /** Takes a new evaluation: new raises get their time, cleared ones are forgotten. */
  update (alarms: readonly Alarm[], now: number): void {
    const next = new Map<string, Entry>()
    for (const a of alarms) {
      const key = alarmKey(a.name, a.subject)
      const level = alarmLevel(a)
      const was = this.#entries.get(key)
      if (was === undefined) next.set(key, { raisedAt: now, level, acked: null })
      else next.set(key, { raisedAt: was.raisedAt, level, acked: rank(level) < rank(was.level) ? null : was.acked })
    }
    this.#entries = next
    this.#alarms = alarms
  }

  list (): ListedAlarm[] {
    return this.#alarms.map(a => {
      const e = this.#entries.get(alarmKey(a.name, a.subject))!
      return { name: a.name, ...(a.subject === undefined ? {} : { device: a.subject }), severity: e.level, message: a.message, raisedAt: e.raisedAt, acked: e.acked }
    })
  }

  /** The raised alarms of `name` (of one device when given). */
  find (name: string, device?: string): ListedAlarm[] {
    return this.list().filter(a => a.name === name && (device === undefined || a.device === device))
  }

  /** Acknowledges what find() returns; those already acknowledged keep their first acknowledgement. */
  ack (name: string, device: string | undefined, by: string, now: number): ListedAlarm[] {
    for (const a of this.find(name, device)) {
      const e = this.#entries.get(alarmKey(a.name, a.device))!
      if (e.acked === null) e.acked = { by, at: now }
    }
    return this.find(name, device)
  }

  unacknowledged (level: AlarmLevel): number {
    let n = 0
    for (const e of this.#entries.values()) if (e.level === level && e.acked === null) n++
    return n
  }
}
