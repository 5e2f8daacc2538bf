/**
 * One person's punches over a time range, for the day view (/api/v1/people/{emp}/days). A person is the
 * roster's employee; a badge nobody maps is its own person, as the punch list and the upstream see it.
 * Both halves go through indexes the rules already keep, so the cost follows the person's punches and the
 * number of devices, not the table: the mapped ones through (person, ts), the unmapped ones through
 * (device, emp, ts) once per device, the devices found by a loose index scan (one probe per device,
 * "skip-scan" by hand, since SQLite only skips on its own with ANALYZE statistics).
 */
import type { Db, Statement } from './db.js'
import { sourceOf, type ListedPunch, type ListedRow } from './punch-query.js'

const COLUMNS = 'id, device, epoch, seq, ts, tz, emp, kind, method, clock, lat, lon, acc, manual, flags, received, person, source_id AS sourceId, source'

export type PersonPunch = Omit<ListedPunch, 'site'>

export class PersonPunches {
  readonly #between: Statement

  constructor (db: Db) {
    this.#between = db.prepare(`WITH RECURSIVE devices (device) AS (
        SELECT min(device) FROM punches
        UNION ALL
        SELECT (SELECT min(device) FROM punches WHERE device > devices.device) FROM devices WHERE devices.device IS NOT NULL
      ), matching AS (
        SELECT ${COLUMNS} FROM punches INDEXED BY punches_device_emp_ts
          WHERE device IN (SELECT device FROM devices WHERE device IS NOT NULL) AND emp = @emp AND ts >= @from AND ts < @to AND person IS NULL
        UNION ALL
        SELECT ${COLUMNS} FROM punches INDEXED BY punches_person_ts
          WHERE person = @emp AND ts >= @from AND ts < @to
      )
      SELECT matching.*, NOT EXISTS (SELECT 1 FROM pending WHERE pending.id = matching.id) AS delivered
      FROM matching ORDER BY ts, id LIMIT @limit`)
  }

  /** Punches of `emp` with from <= ts < to, by time; at most `limit`. */
  between (emp: string, from: number, to: number, limit: number): PersonPunch[] {
    const rows = this.#between.all({ emp, from, to, limit }) as Array<ListedRow & { delivered: number }>
    return rows.map(r => ({ ...r, flags: r.flags === '' ? [] : r.flags.split(','), delivered: r.delivered === 1, source: sourceOf(r.source) }))
  }
}
