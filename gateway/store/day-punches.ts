/**
 * Everyone's punches over a time range (a day), for /api/v1/days/{date}, without an index on ts alone
 * (every index is paid for on the commit path of every punch): the (device, emp, ts) index the rules keep
 * is walked device by device and badge by badge (one probe each, a loose index scan by hand) and each
 * pair's range read from it. The cost follows the number of device and badge pairs stored, not the
 * punches; the event loop gets a turn after each device.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Db, Statement } from './db.js'
import type { PersonPunch } from './person-punches.js'
import { sourceOf, type ListedRow } from './punch-query.js'

export class DayPunches {
  readonly #nextDevice: Statement
  readonly #nextBadge: Statement
  readonly #range: Statement

  constructor (db: Db) {
    this.#nextDevice = db.prepare('SELECT min(device) FROM punches WHERE device > ?').pluck()
    this.#nextBadge = db.prepare('SELECT min(emp) FROM punches WHERE device = ? AND emp > ?').pluck()
    this.#range = db.prepare(`SELECT id, device, epoch, seq, ts, tz, emp, kind, method, clock, lat, lon, acc, manual, flags, received, person,
        source_id AS sourceId, source, NOT EXISTS (SELECT 1 FROM pending WHERE pending.id = punches.id) AS delivered
      FROM punches INDEXED BY punches_device_emp_ts WHERE device = ? AND emp = ? AND ts >= ? AND ts < ? ORDER BY ts`)
  }

  /** Punches with from <= ts < to, by time; undefined when there are more than `limit`. */
  async between (from: number, to: number, limit: number): Promise<PersonPunch[] | undefined> {
    const out: PersonPunch[] = []
    for (let device = this.#nextDevice.get('') as string | null; device !== null; device = this.#nextDevice.get(device) as string | null) {
      for (let badge = this.#nextBadge.get(device, '') as string | null; badge !== null; badge = this.#nextBadge.get(device, badge) as string | null) {
        for (const r of this.#range.all(device, badge, from, to) as Array<ListedRow & { delivered: number }>) {
          out.push({ ...r, flags: r.flags === '' ? [] : r.flags.split(','), delivered: r.delivered === 1, source: sourceOf(r.source) })
        }
        if (out.length > limit) return undefined
      }
      await nextTurn()
    }
    return out.sort((a, b) => a.ts - b.ts || a.id - b.id)
  }
}
