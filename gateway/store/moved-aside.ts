/**
 * A damaged database moved aside at start is an alarm until a person acts on it: the gateway runs on a new
 * file that lacks every punch it had, and devices with credentials may be refused. The fact is kept in the
 * new file's meta table (the file `punchline report` and the running gateway read), so it survives
 * restarts and shows in the report, /api/alarms and /metrics alike. It ends when the operator restores a
 * backup (the restored file does not carry it) or acknowledges it: `punchline alarms ack database-moved-aside`.
 */
import { getMeta, setMeta, type Db } from './db.js'

const KEY = 'alarm_database_moved_aside'

export interface MovedAside {
  /** when it was moved (ms) */
  at: number
  /** where the damaged file is kept */
  keptAs: string
  /** what SQLite found */
  problem: string
  /** the command that brings back the newest backup, when one exists */
  restore: string | null
}

export function recordMovedAside (db: Db, m: MovedAside): void {
  setMeta(db, KEY, JSON.stringify(m))
}

export function readMovedAside (db: Db): MovedAside | null {
  const raw = getMeta(db, KEY)
  if (raw === undefined) return null
  try {
    const m = JSON.parse(raw) as Partial<MovedAside>
    return { at: Number(m.at ?? 0), keptAs: String(m.keptAs ?? ''), problem: String(m.problem ?? ''), restore: typeof m.restore === 'string' ? m.restore : null }
  } catch {
    // Still an alarm: what was written is unreadable, not gone.
    return { at: 0, keptAs: '', problem: 'the record of it is unreadable', restore: null }
  }
}

/** True when there was one to clear. */
export function clearMovedAside (db: Db): boolean {
  return db.prepare('DELETE FROM meta WHERE key = ?').run(KEY).changes > 0
}
