/**
 * Backups of the gateway's SQLite file, and what to do with a file that is damaged.
 *
 * A backup is SQLite's online backup (`db.backup`), safe while the gateway ingests: it copies a consistent
 * snapshot page by page and retries pages that change under it. Every copy is checked with
 * `PRAGMA integrity_check` before it counts, and the oldest beyond `keep` are deleted. A restore puts a
 * checked copy in place of the live file, moving the old one aside, never deleting it. Punches stored after
 * the backup was taken are gone from the restored file; devices still hold them (acked ones too, until
 * their slots are reused), so the copy is marked (meta `restored_at`) and the gateway asks each device to
 * resend what the file lacks (gateway/restore-resend.ts); see docs/OPERATIONS.md for what is lost.
 */
import Database from 'better-sqlite3'
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { DEFAULT_BUSY_TIMEOUT_MS, getMeta, setMeta, type Db } from './db.js'
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './data-dir-lock.js'
import { errorCode, isDamage } from './open-failure.js'
import { clearMovedAside } from './moved-aside.js'

const PREFIX = 'punchline-'
const SUFFIX = '.db'

export interface BackupInfo {
  path: string
  bytes: number
  /** when it was taken, from its name (ms since 1970) */
  at: number
}

/** `20261123T104502123Z`: sorts as time, safe in every file system. */
export function fileStamp (ms: number): string {
  return new Date(ms).toISOString().replace(/[-:.]/g, '')
}

function parseStamp (name: string): number | undefined {
  const m = /^punchline-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z\.db$/.exec(name)
  if (m === null) return undefined
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7])
}

/** What a look at a database file found: whole, damaged (SQLite says so), or not readable now for another reason. */
export type DatabaseCheck =
  | { state: 'whole' }
  | { state: 'damaged', problem: string }
  | { state: 'unreadable', error: unknown }

/**
 * Opens `file` read-only and runs integrity_check (or quick_check). Only SQLite's own verdict counts as
 * damage (open-failure.ts); a lock, a full disk or a permission problem is 'unreadable', never 'damaged'.
 * A lock held by another process is waited for `busyTimeoutMs`, as the gateway's own writes wait.
 */
export function inspectDatabase (file: string, depth: 'full' | 'quick' = 'full', busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS): DatabaseCheck {
  let db: Db | undefined
  try {
    db = new Database(file, { readonly: true, fileMustExist: true })
    db.pragma(`busy_timeout = ${busyTimeoutMs}`)
    // quick_check skips the index-to-table cross checks: O(pages), fit for every start of a big file.
    const pragma = depth === 'full' ? 'integrity_check' : 'quick_check'
    const rows = db.pragma(pragma) as Array<Record<string, string>>
    const problems = rows.map(r => r[pragma]).filter(r => r !== 'ok')
    return problems.length === 0 ? { state: 'whole' } : { state: 'damaged', problem: problems.slice(0, 5).join('; ') }
  } catch (err) {
    return isDamage(errorCode(err)) ? { state: 'damaged', problem: (err as Error).message } : { state: 'unreadable', error: err }
  } finally {
    db?.close()
  }
}

/** Says what is wrong with a database file, or undefined when SQLite finds it whole: for a backup, anything wrong disqualifies it. */
export function checkIntegrity (file: string, depth: 'full' | 'quick' = 'full'): string | undefined {
  const found = inspectDatabase(file, depth)
  if (found.state === 'whole') return undefined
  return found.state === 'damaged' ? found.problem : String((found.error as Error)?.message ?? found.error)
}

export function listBackups (dir: string): BackupInfo[] {
  if (!existsSync(dir)) return []
  const out: BackupInfo[] = []
  for (const name of readdirSync(dir)) {
    const at = parseStamp(name)
    if (at === undefined) continue
    const path = join(dir, name)
    out.push({ path, bytes: statSync(path).size, at })
  }
  return out.sort((a, b) => a.at - b.at)
}

/** what SQLite keeps beside a database file while it is open (a WAL-mode file opened, even read-only) */
const SIDECARS = ['-wal', '-shm', '-journal']

/** SQLite's backup copies this many pages in a step when asked for all of them at once */
const ALL_PAGES = 0x7fffffff

/**
 * Takes an online backup into `dir`, checks it, and keeps the newest `keep` backups. `oneStep` copies the
 * whole file in one step, from one snapshot: a copy in steps starts again whenever another connection
 * commits between two of them (the gateway's commit thread, a gateway beside the CLI), and under a steady
 * load a large file may never finish; one step holds its thread for the whole copy, so it is for a thread
 * of its own (backup-thread.ts) or the CLI.
 */
export async function backupDatabase (db: Db, dir: string, keep: number, now = Date.now(), opts: { oneStep?: boolean } = {}): Promise<BackupInfo> {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  const path = join(dir, `${PREFIX}${fileStamp(now)}${SUFFIX}`)
  const partial = path + '.partial'
  // Created 0600 before SQLite writes into it: a backup holds what the live file holds (secret hashes, badges).
  closeSync(openSync(partial, 'w', PRIVATE_FILE_MODE))
  try {
    // Written under another name first: a crash mid-backup must not leave a file that looks like a backup.
    if (opts.oneStep === true) await db.backup(partial, { progress: () => ALL_PAGES })
    else await db.backup(partial)
    asStandalone(partial)
    const problem = checkIntegrity(partial)
    if (problem !== undefined) throw new Error(`backup failed its integrity check (${problem}); the previous backups are kept`)
    renameSync(partial, path)
  } finally {
    removeWithSidecars(partial)
  }
  const all = listBackups(dir)
  for (const old of all.slice(0, Math.max(0, all.length - keep))) removeWithSidecars(old.path)
  removeStrays(dir)
  return { path, bytes: statSync(path).size, at: now }
}

/**
 * The copy carries the live file's WAL flag, so every later read-only open (the check above, a restore's
 * check) left a -wal and a -shm beside it that nothing removed. In rollback mode a reader leaves nothing;
 * the gateway turns WAL on again when it opens a restored copy (db.ts).
 */
function asStandalone (file: string): void {
  const db = new Database(file, { fileMustExist: true })
  try { db.pragma('journal_mode = DELETE') } finally { db.close() }
}

function removeWithSidecars (file: string): void {
  for (const ext of ['', ...SIDECARS]) rmSync(file + ext, { force: true })
}

/**
 * SQLite's files left beside backups by earlier versions (every check of a WAL-mode copy), and by a
 * backup that crashed: a -wal or -shm whose backup is gone or was checked long ago, a .partial left
 * behind. A backup in progress in another process (the CLI beside the schedule) is younger than
 * STRAY_AGE_MS, and is left alone.
 */
const STRAY_AGE_MS = 3_600_000

function removeStrays (dir: string, now = Date.now()): void {
  const names = new Set(readdirSync(dir))
  for (const name of names) {
    if (!name.startsWith(PREFIX) || parseStamp(name) !== undefined) continue
    const path = join(dir, name)
    const sidecar = SIDECARS.find(ext => name.endsWith(ext))
    const owner = sidecar === undefined ? undefined : name.slice(0, -sidecar.length)
    const orphan = owner !== undefined && !names.has(owner)
    let old = false
    try { old = now - statSync(path).mtimeMs > STRAY_AGE_MS } catch {}
    const leftover = name.includes('.partial') || (owner !== undefined && parseStamp(owner) !== undefined)
    if (leftover && (orphan || old)) rmSync(path, { force: true })
  }
}

/** Moves a database file and its WAL and shared-memory files aside under `suffix`; returns the new name. */
export function moveAside (file: string, suffix: string): string {
  const target = `${file}.${suffix}`
  for (const ext of ['', '-wal', '-shm']) {
    if (existsSync(file + ext)) renameSync(file + ext, target + ext)
  }
  return target
}

/**
 * Undoes moveAside: the new file made in its place (and its -wal, -shm) is deleted, the moved one takes
 * its name again. For a start that moved a damaged file and then could not create the new one: the next
 * start finds the damage again, and can record it.
 */
export function moveBack (keptAs: string, file: string): void {
  for (const ext of ['', '-wal', '-shm']) {
    rmSync(file + ext, { force: true })
    if (existsSync(keptAs + ext)) renameSync(keptAs + ext, file + ext)
  }
}

/** Why a database holds less than the devices were told it has, and since when (meta `restored_*`). */
export interface RestoreMark {
  /** when it was restored (ms); also names this restore in restore_resends */
  at: number
  reason: 'backup' | 'corrupt'
  /** the backup restored, or where the corrupt file was moved */
  from: string
  /** when that backup was taken, from its name */
  backupAt?: number
}

export function markRestored (db: Db, mark: RestoreMark): void {
  db.transaction(() => {
    setMeta(db, 'restored_at', String(mark.at))
    setMeta(db, 'restored_reason', mark.reason)
    setMeta(db, 'restored_from', mark.from)
    setMeta(db, 'restored_backup_at', mark.backupAt === undefined ? '' : String(mark.backupAt))
  }).immediate()
}

export function readRestoreMark (db: Db): RestoreMark | undefined {
  const at = getMeta(db, 'restored_at')
  if (at === undefined) return undefined
  const backupAt = getMeta(db, 'restored_backup_at')
  return {
    at: Number(at),
    reason: getMeta(db, 'restored_reason') === 'corrupt' ? 'corrupt' : 'backup',
    from: getMeta(db, 'restored_from') ?? '',
    backupAt: backupAt === undefined || backupAt === '' ? undefined : Number(backupAt)
  }
}

/**
 * Replaces `file` by a checked copy of `backup`, marked as restored. The gateway must be stopped (a running
 * gateway keeps the old file open). The file it replaces is kept as `<file>.before-restore-<time>`.
 */
export function restoreDatabase (backup: string, file: string, now = Date.now()): { keptAs: string | undefined, mark: RestoreMark } {
  const problem = checkIntegrity(backup)
  if (problem !== undefined) throw new Error(`${basename(backup)} is not a usable backup: ${problem}`)
  const keptAs = existsSync(file) ? moveAside(file, `before-restore-${fileStamp(now)}`) : undefined
  const copy = file + '.restoring'
  copyFileSync(backup, copy)
  chmodSync(copy, PRIVATE_FILE_MODE)
  const mark: RestoreMark = { at: now, reason: 'backup', from: basename(backup), backupAt: parseStamp(basename(backup)) }
  // Marked before it takes the live name: a restored file in place is always a marked one. The meta table
  // exists since schema 1, so a backup from an older punchline takes the mark too; the gateway migrates it.
  const db = new Database(copy, { fileMustExist: true })
  try {
    markRestored(db, mark)
    // A backup taken after a damaged file was moved aside carries that alarm; restoring is the operator acting on it.
    clearMovedAside(db)
    // Closing the last connection checkpoints and removes the WAL: the mark must be in the file we rename.
    db.pragma('wal_checkpoint(TRUNCATE)')
  } finally {
    db.close()
  }
  // Empty after the checkpoint above; a stray one must not sit next to the live file under another name.
  for (const ext of ['-wal', '-shm']) rmSync(copy + ext, { force: true })
  renameSync(copy, file)
  return { keptAs, mark }
}
