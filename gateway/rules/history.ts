/**
 * What the person rules need to know about a person's other stored punches. A person is the roster's
 * employee when the roster maps the badge (then card and fingerprint of one employee are one person), else
 * the badge on that one device (the same PIN on two terminals is never one person).
 *
 * `RuleHistory` is what the rules read; it has two implementations that pass one contract
 * (test/fixtures/rule-history-contract.ts): `PunchHistory` below, SQLite's, which queries inside the group
 * commit's transaction, and the cluster's (gateway/cluster/postgres/group-history.ts), which reads a whole
 * group's answers from PostgreSQL in one statement inside the transaction that stores the group. Either way
 * punches stored earlier in the same commit count too.
 *
 * SQLite: every query is an index range (punches_person_ts, punches_device_emp_ts) and stops at one row.
 */
import type { Db, Statement } from '../store/db.js'

export interface PersonKey {
  device: string
  emp: string
  /** the roster's employee, when mapped */
  person: string | undefined
}

export interface Self {
  epoch: string
  seq: number
}

export interface LocatedPunch {
  ts: number
  lat: number
  lon: number
  acc: number
  clock: string
  received: number
}

const LOCATED = 'ts, lat, lon, acc, clock, received'

/** The person rules' questions about the other stored punches; `self` is never counted. */
export interface RuleHistory {
  /** Is there another punch of this person on this device within ±windowMs of ts (bounds included)? */
  hasNear: (k: PersonKey, self: Self, ts: number, windowMs: number) => boolean
  /** The person's located punches just before (ts' <= ts) and just after (ts' >= ts) ts, either may be missing. */
  neighbours: (k: PersonKey, self: Self, ts: number) => [LocatedPunch | undefined, LocatedPunch | undefined]
  /** The person's make-up punches stored with ts in [from, to). */
  manualCount: (k: PersonKey, self: Self, from: number, to: number) => number
}

export class PunchHistory implements RuleHistory {
  readonly #nearBadge: Statement
  readonly #nearPerson: Statement
  readonly #beforeBadge: Statement
  readonly #afterBadge: Statement
  readonly #beforePerson: Statement
  readonly #afterPerson: Statement
  readonly #manualBadge: Statement
  readonly #manualPerson: Statement

  constructor (db: Db) {
    const notSelf = 'NOT (epoch = ? AND seq = ?)'
    // Across devices (a person), the punch itself is (device, epoch, seq).
    const notSelfAnywhere = 'NOT (device = ? AND epoch = ? AND seq = ?)'
    this.#nearBadge = db.prepare(`SELECT 1 FROM punches WHERE device = ? AND emp = ? AND ts BETWEEN ? AND ? AND ${notSelf} LIMIT 1`)
    this.#nearPerson = db.prepare(`SELECT 1 FROM punches WHERE person = ? AND ts BETWEEN ? AND ? AND device = ? AND ${notSelf} LIMIT 1`)
    this.#beforeBadge = db.prepare(`SELECT ${LOCATED} FROM punches WHERE device = ? AND emp = ? AND ts <= ? AND lat IS NOT NULL AND ${notSelf} ORDER BY ts DESC LIMIT 1`)
    this.#afterBadge = db.prepare(`SELECT ${LOCATED} FROM punches WHERE device = ? AND emp = ? AND ts >= ? AND lat IS NOT NULL AND ${notSelf} ORDER BY ts LIMIT 1`)
    this.#beforePerson = db.prepare(`SELECT ${LOCATED} FROM punches WHERE person = ? AND ts <= ? AND lat IS NOT NULL AND ${notSelfAnywhere} ORDER BY ts DESC LIMIT 1`)
    this.#afterPerson = db.prepare(`SELECT ${LOCATED} FROM punches WHERE person = ? AND ts >= ? AND lat IS NOT NULL AND ${notSelfAnywhere} ORDER BY ts LIMIT 1`)
    this.#manualBadge = db.prepare(`SELECT count(*) AS n FROM punches WHERE device = ? AND emp = ? AND ts >= ? AND ts < ? AND method = 'manual' AND ${notSelf}`)
    this.#manualPerson = db.prepare(`SELECT count(*) AS n FROM punches WHERE person = ? AND ts >= ? AND ts < ? AND method = 'manual' AND ${notSelfAnywhere}`)
  }

  /** Is there another punch of this person on this device within ±windowMs of ts? */
  hasNear (k: PersonKey, self: Self, ts: number, windowMs: number): boolean {
    const row = k.person !== undefined
      ? this.#nearPerson.get(k.person, ts - windowMs, ts + windowMs, k.device, self.epoch, self.seq)
      : this.#nearBadge.get(k.device, k.emp, ts - windowMs, ts + windowMs, self.epoch, self.seq)
    return row !== undefined
  }

  /** The person's located punches just before and just after ts (either may be missing). */
  neighbours (k: PersonKey, self: Self, ts: number): [LocatedPunch | undefined, LocatedPunch | undefined] {
    if (k.person !== undefined) {
      return [
        this.#beforePerson.get(k.person, ts, k.device, self.epoch, self.seq) as LocatedPunch | undefined,
        this.#afterPerson.get(k.person, ts, k.device, self.epoch, self.seq) as LocatedPunch | undefined
      ]
    }
    return [
      this.#beforeBadge.get(k.device, k.emp, ts, self.epoch, self.seq) as LocatedPunch | undefined,
      this.#afterBadge.get(k.device, k.emp, ts, self.epoch, self.seq) as LocatedPunch | undefined
    ]
  }

  /** The person's make-up punches stored with ts in [from, to). */
  manualCount (k: PersonKey, self: Self, from: number, to: number): number {
    const row = k.person !== undefined
      ? this.#manualPerson.get(k.person, from, to, k.device, self.epoch, self.seq)
      : this.#manualBadge.get(k.device, k.emp, from, to, self.epoch, self.seq)
    return (row as { n: number }).n
  }
}
