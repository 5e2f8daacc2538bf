/**
 * What the gateway keeps about ZKTeco terminals pushing over ADMS (migration 8, docs/ADMS.md): the
 * registry by serial number, every body as it came, and the command queue.
 */
import { randomBytes } from 'node:crypto'
import { getMeta, setMeta, type Db, type Statement } from './db.js'
import type { AttlogProblem } from '../adms/attlog.js'
import type { CommandKind } from '../adms/device-commands.js'

export interface Terminal {
  sn: string
  /** the device id its punches carry */
  device: string
  /** its IANA zone: what its wall-clock times mean */
  zone: string
  created: number
  lastSeen: number | null
  address: string | null
  /** the Stamp of the last attendance upload stored; null: the next handshake asks for everything */
  attlogStamp: string | null
  firmware: string | null
  /** the epoch its punches are stored under (renewed at a restore) */
  epoch: string
  /** when it last confirmed a clock the gateway set; null: its clock is its own */
  clockSet: number | null
}

export interface QueuedCommand {
  id: number
  sn: string
  kind: CommandKind
  text: string
  queued: number
  sent: number | null
  done: number | null
  code: number | null
  result: string | null
}

/** Serial numbers as terminals send them: letters, digits and a few separators. */
export const SERIAL_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

export function isSerial (value: unknown): value is string {
  return typeof value === 'string' && SERIAL_PATTERN.test(value)
}

const RESTORE_HANDLED = 'adms_restore_handled'

export class AdmsStore {
  readonly #db: Db
  readonly #get: Statement
  readonly #insertBody: Statement
  readonly #parsed: Statement
  readonly #seen: Statement
  readonly #stamp: Statement
  readonly #open: Statement
  readonly #markSent: Statement
  readonly #result: Statement
  readonly #activity = new Map<string, { at: number, address: string | null, firmware: string | null }>()
  readonly #nextSeq: Statement
  readonly #setNextSeq: Statement
  readonly #storedSeq: Statement

  constructor (db: Db) {
    this.#db = db
    this.#get = db.prepare(`SELECT sn, device, zone, created, last_seen AS lastSeen, address, attlog_stamp AS attlogStamp, firmware, epoch,
      clock_set AS clockSet FROM adms_terminals WHERE sn = ?`)
    this.#insertBody = db.prepare('INSERT INTO adms_bodies (sn, tbl, stamp, received, body) VALUES (?, ?, ?, ?, ?)')
    this.#parsed = db.prepare('UPDATE adms_bodies SET records = ?, problems = ? WHERE id = ?')
    this.#seen = db.prepare('UPDATE adms_terminals SET last_seen = ?, address = ?, firmware = COALESCE(?, firmware) WHERE sn = ?')
    this.#stamp = db.prepare('UPDATE adms_terminals SET attlog_stamp = ? WHERE sn = ?')
    this.#open = db.prepare('SELECT id, text FROM adms_commands WHERE sn = ? AND done IS NULL AND sent IS NULL ORDER BY id LIMIT ?')
    this.#markSent = db.prepare('UPDATE adms_commands SET sent = ? WHERE id = ?')
    this.#nextSeq = db.prepare('SELECT next_seq AS next FROM adms_terminals WHERE sn = ?')
    this.#setNextSeq = db.prepare('UPDATE adms_terminals SET next_seq = ? WHERE sn = ?')
    this.#storedSeq = db.prepare('SELECT seq FROM punches WHERE device = ? AND source_id = ?')
    this.#result = db.prepare('UPDATE adms_commands SET done = ?, code = ?, result = ? WHERE id = ? AND sn = ? AND done IS NULL')
  }

  /** Registers a terminal; its device id must be free among terminals and MQTT devices alike. */
  add (sn: string, device: string, zone: string, now: number): void {
    const taken = this.#db.prepare('SELECT 1 FROM devices WHERE id = ?').get(device) !== undefined
    if (taken) throw new Error(`device id ${device} is already a registered MQTT device`)
    this.#db.prepare('INSERT INTO adms_terminals (sn, device, zone, created, epoch) VALUES (?, ?, ?, ?, ?)').run(sn, device, zone, now, newEpoch())
  }

  /** Removes a terminal from the registry; its stored punches stay and still go upstream. */
  remove (sn: string): boolean {
    return this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM adms_commands WHERE sn = ? AND done IS NULL').run(sn)
      return this.#db.prepare('DELETE FROM adms_terminals WHERE sn = ?').run(sn).changes > 0
    }).immediate()
  }

  /**
   * A new zone: the terminal's clock shows the old zone's time until it is set again, so it counts as not
   * set by the gateway (its punches flagged clock-unsynced) until it confirms a clock command in the new one.
   */
  setZone (sn: string, zone: string): boolean {
    return this.#db.prepare('UPDATE adms_terminals SET zone = ?, clock_set = NULL WHERE sn = ?').run(zone, sn).changes > 0
  }

  get (sn: string): Terminal | undefined {
    const t = this.#get.get(sn) as Terminal | undefined
    return t === undefined ? undefined : this.#withActivity(t)
  }

  list (): Terminal[] {
    return (this.#db.prepare(`SELECT sn, device, zone, created, last_seen AS lastSeen, address, attlog_stamp AS attlogStamp, firmware, epoch,
      clock_set AS clockSet FROM adms_terminals ORDER BY sn`).all() as Terminal[]).map(t => this.#withActivity(t))
  }

  /** Keeps a body as it came, durably, before anything reads it; returns its id. */
  keepBody (sn: string, table: string, stamp: string | undefined, received: number, body: Buffer): number {
    return Number(this.#insertBody.run(sn, table, stamp ?? null, received, body).lastInsertRowid)
  }

  /**
   * A kept body's upload is done: what the parse made of it, and (with a Stamp) where the terminal's next
   * handshake resumes. One transaction: both or neither.
   */
  uploadDone (id: number, sn: string, stamp: string | undefined, records: number, problems: readonly AttlogProblem[]): void {
    this.#db.transaction(() => {
      this.#parsed.run(records, problems.length === 0 ? null : JSON.stringify(problems), id)
      if (stamp !== undefined) this.#stamp.run(stamp, sn)
    }).immediate()
  }

  /**
   * The terminal called now; written at the next flush(). Every heartbeat would otherwise be a write
   * transaction on the event loop's connection, waiting behind the commit thread's for its lock.
   */
  heardFrom (sn: string, now: number, address: string | undefined, firmware?: string): void {
    const a = this.#activity.get(sn)
    if (a === undefined) this.#activity.set(sn, { at: now, address: address ?? null, firmware: firmware ?? null })
    else {
      a.at = now
      a.address = address ?? a.address
      a.firmware = firmware ?? a.firmware
    }
  }

  /** Writes the calls heard since the last flush, in one transaction; returns how many terminals. */
  flush (): number {
    const n = this.#activity.size
    if (n === 0) return 0
    this.#db.transaction(() => {
      for (const [sn, a] of this.#activity) this.#seen.run(a.at, a.address, a.firmware, sn)
    }).immediate()
    this.#activity.clear()
    return n
  }

  /** A stored row with what this store heard since its last flush. */
  #withActivity (t: Terminal): Terminal {
    const a = this.#activity.get(t.sn)
    return a === undefined ? t : { ...t, lastSeen: a.at, address: a.address ?? t.address, firmware: a.firmware ?? t.firmware }
  }

  /**
   * After a restore: every terminal sends everything it holds again at its next handshake, and its punches
   * are numbered in a new epoch, since the restored file has forgotten the seqs given after its backup.
   */
  askEverythingAgain (restoredAt: number): number {
    const terminals = this.#db.prepare('SELECT sn FROM adms_terminals').all() as Array<{ sn: string }>
    const renew = this.#db.prepare('UPDATE adms_terminals SET attlog_stamp = NULL, epoch = ?, next_seq = 1 WHERE sn = ?')
    this.#db.transaction(() => {
      for (const t of terminals) renew.run(newEpoch(), t.sn)
      setMeta(this.#db, RESTORE_HANDLED, String(restoredAt))
    }).immediate()
    return terminals.length
  }

  /** The restore (its `restored_at`) whose terminals were last asked for everything, if any. */
  restoreHandled (): number | undefined {
    const v = getMeta(this.#db, RESTORE_HANDLED)
    return v === undefined ? undefined : Number(v)
  }

  /**
   * Seqs for a body's lines, in one transaction: a line already stored (by its source id) keeps its seq,
   * a new one gets the terminal's next. Returns them in the order of `sourceIds`.
   */
  numberLines (sn: string, device: string, sourceIds: readonly string[]): number[] {
    return this.#db.transaction(() => {
      const seqs = new Array<number>(sourceIds.length)
      let next = (this.#nextSeq.get(sn) as { next: number }).next
      const first = next
      for (let i = 0; i < sourceIds.length; i++) {
        const stored = this.#storedSeq.get(device, sourceIds[i]) as { seq: number } | undefined
        seqs[i] = stored?.seq ?? next++
      }
      if (next !== first) this.#setNextSeq.run(next, sn)
      return seqs
    }).immediate()
  }

  clockConfirmed (sn: string, now: number): void {
    this.#db.prepare('UPDATE adms_terminals SET clock_set = ? WHERE sn = ?').run(now, sn)
  }

  queueCommand (sn: string, kind: CommandKind, text: string, now: number): number {
    return Number(this.#db.prepare('INSERT INTO adms_commands (sn, kind, text, queued) VALUES (?, ?, ?, ?)').run(sn, kind, text, now).lastInsertRowid)
  }

  /** Up to `max` queued commands, marked sent: the heartbeat's answer hands them out. */
  takeCommands (sn: string, now: number, max: number): Array<{ id: number, text: string }> {
    return this.#db.transaction(() => {
      const rows = this.#open.all(sn, max) as Array<{ id: number, text: string }>
      for (const r of rows) this.#markSent.run(now, r.id)
      return rows
    }).immediate()
  }

  /** A result the terminal posted; false when no open command of this terminal has that id. */
  commandDone (sn: string, id: number, code: number, result: string, now: number): boolean {
    return this.#result.run(now, code, result, id, sn).changes > 0
  }

  commands (sn: string, limit = 100): QueuedCommand[] {
    return this.#db.prepare('SELECT * FROM adms_commands WHERE sn = ? ORDER BY id DESC LIMIT ?').all(sn, limit) as QueuedCommand[]
  }

  /** Kept bodies of this terminal with lines that could not be read, newest first. */
  problems (sn: string, limit: number): Array<{ body: number, received: number, problems: AttlogProblem[] }> {
    const rows = this.#db.prepare(`SELECT id, received, problems FROM adms_bodies WHERE sn = ? AND problems IS NOT NULL
      ORDER BY id DESC LIMIT ?`).all(sn, limit) as Array<{ id: number, received: number, problems: string }>
    return rows.map(r => ({ body: r.id, received: r.received, problems: JSON.parse(r.problems) as AttlogProblem[] }))
  }

  /** Bodies received before `before` are deleted; their punches stay in the punches table. */
  pruneBodies (before: number): number {
    return this.#db.prepare('DELETE FROM adms_bodies WHERE received < ?').run(before).changes
  }
}

function newEpoch (): string {
  return randomBytes(4).toString('hex')
}
