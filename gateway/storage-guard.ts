/**
 * Stops ingest before the disk or the database budget runs out, and lets it go on by itself once there is
 * room again. While `full`, ingest refuses punch batches without a PUBACK: the devices keep the punches in
 * their rings (docs/ARCHITECTURE.md, decisions 2 and 3) and send them again, so a full disk delays punches,
 * never loses them. Refusing early beats SQLITE_FULL in the middle of a commit: the WAL and the checkpoint
 * need room too, and a disk with 0 bytes left makes everything on the machine fail.
 *
 * Checked every `storage.checkIntervalMs`, so ingest may overshoot the budget by what arrives in one
 * interval. A commit that fails with SQLITE_FULL anyway (`noteWriteError`) turns the guard full at once;
 * that state holds until the disk has ROOM_AFTER_FULL more free space than it had then (someone made
 * room), or the file has more free pages than then (a purge did).
 */
import { EventEmitter } from 'node:events'
import type { Logger } from '../shared/log.js'
import type { Db } from './store/db.js'
import { measureStorage, storageVerdict, type StorageLimits, type StorageUsage } from './store/storage-usage.js'
import { formatBytes } from './units.js'

/** how much the disk's free space must grow after an SQLITE_FULL before ingest tries again */
export const ROOM_AFTER_FULL = 64 * 1024 * 1024

export interface StorageGuardOptions {
  db: Db
  /** the database file (its directory's file system is the one checked) */
  file: string
  /** read at every check */
  limits: StorageLimits & { checkIntervalMs: number }
  log: Logger
}

export interface StorageGuardEvents {
  full: [reason: string]
  resumed: []
  /** after every check, full or not */
  checked: [usage: StorageUsage]
}

export class StorageGuard extends EventEmitter<StorageGuardEvents> {
  readonly #o: StorageGuardOptions
  #reason: string | undefined
  #usage: StorageUsage | undefined
  /** the room there was when a commit failed with SQLITE_FULL; undefined when none is outstanding */
  #failedAt: { diskFree: number, freePages: number } | undefined
  #timer?: NodeJS.Timeout

  constructor (opts: StorageGuardOptions) {
    super()
    this.#o = opts
  }

  get full (): boolean { return this.#reason !== undefined }
  /** why ingest is refused, undefined while it is not */
  get reason (): string | undefined { return this.#reason }
  /** the last measurement (undefined before the first check) */
  get usage (): StorageUsage | undefined { return this.#usage }

  start (): void {
    this.check()
    this.#timer = setInterval(() => {
      // A timer must not throw (the process would exit); the state stays as last measured.
      try { this.check() } catch (err) { this.#o.log.error({ err }, 'storage check failed; keeping the last verdict') }
    }, this.#o.limits.checkIntervalMs)
    this.#timer.unref()
  }

  stop (): void {
    clearInterval(this.#timer)
  }

  /** Measures now, updates `full`, emits 'full' / 'resumed' on a change. */
  check (): StorageUsage {
    let usage = this.#measure()
    let reason = storageVerdict(usage)
    if (reason?.startsWith('database:') === true && usage.walBytes > 0) {
      // The WAL keeps its high-water length after checkpoints; a truncating checkpoint gives that back
      // (what auto-checkpoint would copy anyway, and ingest is about to stop). Readers may keep it from
      // completing; then the next check tries again.
      this.#o.db.pragma('wal_checkpoint(TRUNCATE)')
      usage = this.#measure()
      reason = storageVerdict(usage)
    }
    const failed = this.#failedAt
    if (failed !== undefined) {
      if (usage.diskFreeBytes >= failed.diskFree + ROOM_AFTER_FULL || usage.freePageBytes > failed.freePages) this.#failedAt = undefined
      else reason ??= failedReason(usage)
    }
    this.#usage = usage
    this.#set(reason)
    this.emit('checked', usage)
    return usage
  }

  /**
   * Tells the guard a write failed. SQLITE_FULL (disk full, or a file size limit) turns it full at once;
   * returns whether it did. Other errors are not about space and are left to the caller.
   */
  noteWriteError (err: unknown): boolean {
    if ((err as { code?: unknown } | null)?.code !== 'SQLITE_FULL') return false
    let usage = this.#usage
    try { usage = this.#usage = this.#measure() } catch {}
    this.#failedAt = { diskFree: usage?.diskFreeBytes ?? 0, freePages: usage?.freePageBytes ?? 0 }
    this.#set(this.#reason ?? failedReason(usage))
    return true
  }

  #measure (): StorageUsage {
    return measureStorage(this.#o.db, this.#o.file, this.#o.limits)
  }

  #set (reason: string | undefined): void {
    const was = this.#reason
    this.#reason = reason
    if (was === undefined && reason !== undefined) this.emit('full', reason)
    else if (was !== undefined && reason === undefined) this.emit('resumed')
  }
}

function failedReason (u: StorageUsage | undefined): string {
  return 'disk: a commit failed with SQLITE_FULL' + (u === undefined ? '' : ` (${formatBytes(u.diskFreeBytes)} free)`)
}
