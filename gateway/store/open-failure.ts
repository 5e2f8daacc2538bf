/**
 * Why the gateway's database could not be opened, told apart in two: the file is damaged (SQLite says
 * SQLITE_CORRUPT or SQLITE_NOTADB, or quick_check finds problems), or something around a whole file is
 * wrong for now: a lock held by another process, a full disk, a read-only mount, permissions, a directory
 * where the file should be, an I/O error. Only a damaged file may be moved aside; for everything else the
 * gateway refuses to start with one line saying the cause and what to do, and a supervisor restarts it
 * until the cause is gone (a full disk after a clean stop used to cost the whole file:
 * test/gateway-store-unavailable.test.ts).
 */
import { accessSync, constants, statSync, statfsSync } from 'node:fs'
import { dirname } from 'node:path'

/** SQLite's codes for a file whose bytes are not a sound database (extended codes: SQLITE_CORRUPT_INDEX...). */
export function isDamage (code: string | undefined): boolean {
  return code !== undefined && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')
}

export function errorCode (err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** The gateway cannot use its database now, though nothing says the file is damaged; it was left in place. */
export class StoreUnavailable extends Error {
  readonly file: string
  /** SQLite's or the system's code (SQLITE_BUSY, ENOSPC, EROFS...), or NOT_A_FILE */
  readonly code: string
  constructor (file: string, code: string, message: string) {
    super(message)
    this.name = 'StoreUnavailable'
    this.file = file
    this.code = code
  }
}

const LEFT_IN_PLACE = 'the file was left in place (nothing was moved aside) and the gateway exits; it starts once this is fixed (a supervisor restarts it)'

/** One line for an operator: what is wrong with `file`, what to do. `busyTimeoutMs` is the wait that ran out. */
export function storeUnavailable (file: string, err: unknown, busyTimeoutMs: number): StoreUnavailable {
  const code = refine(file, errorCode(err) ?? 'UNKNOWN')
  const detail = (err as Error | undefined)?.message ?? String(err)
  const dir = dirname(file)
  let cause: string
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    cause = `database ${file} is locked by another process for longer than the ${busyTimeoutMs} ms busy timeout (${code}): find it with 'fuser -v ${file}*' and end it`
  } else if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') {
    cause = `the disk holding ${file} is full (${code}): free space on it (df -h ${dir}), or move the data directory to a larger disk`
  } else if (code === 'EROFS' || code.startsWith('SQLITE_READONLY')) {
    cause = `${file} cannot be written: its file system is read-only (${code}): remount it read-write (mount -o remount,rw) and check the disk (dmesg: a file system remounted read-only after I/O errors)`
  } else if (code === 'EACCES' || code === 'EPERM') {
    cause = `the gateway's user may not read and write ${file} or its directory (${code}): fix the owner and mode (chown, chmod 600 the file, 700 the directory)`
  } else if (code === 'NOT_A_FILE') {
    cause = `${file} is not a regular file (${statSync(file).isDirectory() ? 'a directory' : 'a device, socket or pipe'}): move it away; the gateway creates a new database only where there is none`
  } else if (code.startsWith('SQLITE_IOERR') || code === 'EIO') {
    cause = `I/O error on ${file} (${code}: ${detail}): check the disk (dmesg, smartctl)`
  } else {
    cause = `cannot open ${file} (${code}: ${detail})`
  }
  return new StoreUnavailable(file, code, `${cause}; ${LEFT_IN_PLACE}`)
}

/** Less free space than this on the data directory's disk counts as full: SQLite's -shm alone needs 32 KiB. */
const NEARLY_FULL_BYTES = 64 * 1024

/**
 * SQLite reports a read-only mount, a permission problem or a full disk as a generic SQLITE_CANTOPEN or
 * I/O error (SQLITE_IOERR_SHMSIZE: no room for the -shm file); the system's own answer names the cause.
 * Root passes permission checks, not a read-only mount.
 */
function refine (file: string, code: string): string {
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code === 'SQLITE_FULL') return code
  try {
    if (!statSync(file).isFile()) return 'NOT_A_FILE'
  } catch {}
  for (const [path, mode] of [[dirname(file), constants.W_OK], [file, constants.R_OK | constants.W_OK]] as const) {
    try { accessSync(path, mode) } catch (err) {
      const c = errorCode(err)
      if (c === 'EROFS' || c === 'EACCES' || c === 'EPERM') return c
    }
  }
  try {
    const fs = statfsSync(dirname(file))
    if (fs.bavail * fs.bsize < NEARLY_FULL_BYTES) return 'ENOSPC'
  } catch {}
  return code
}
