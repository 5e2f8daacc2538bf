/**
 * One process at a time on a data directory: the gateway holds an exclusive lock on `<data>/gateway.lock`
 * for its whole life, and `punchline restore` for the time it replaces the file. Two gateways on one
 * directory would each take the other's punches for their own, and a restore under a running gateway
 * replaces the file it is writing (test/process-locks.test.ts).
 *
 * The lock is the kernel's (fs-native-extensions: an open-file-description lock on Linux, flock on macOS),
 * not a pid in a file: it goes with the process however it ends, kill -9 and power loss included, so a
 * restart never waits for a stale lock to time out. docs/DESIGN-NOTES.md ("One process per data
 * directory and per ring") says why this library.
 */
import { closeSync, constants, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { tryLock } from 'fs-native-extensions'

export const LOCK_FILE = 'gateway.lock'
/** the data directory and everything the gateway creates in it are its own: no one else reads punches or hashes */
export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600

export interface LockHolder {
  pid: number
  /** the command holding it: 'gateway', 'restore' */
  command: string
  since: number
}

export class DataDirInUse extends Error {
  readonly holder: LockHolder | undefined
  constructor (dataDir: string, holder: LockHolder | undefined, advice: string) {
    const who = holder === undefined ? 'another punchline process' : `punchline ${holder.command} (pid ${holder.pid}, since ${new Date(holder.since).toISOString()})`
    super(`data directory ${dataDir} is in use: ${who} is running on it: ${advice}`)
    this.name = 'DataDirInUse'
    this.holder = holder
  }
}

export class DataDirLock {
  readonly #fd: number
  #held = true

  private constructor (fd: number) {
    this.#fd = fd
  }

  /**
   * Takes the lock for `command`, or throws DataDirInUse saying who holds it and `advice` (what to do).
   * Creates the directory (0700) when it does not exist.
   */
  static acquire (dataDir: string, command: string, advice: string, now = Date.now()): DataDirLock {
    mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE })
    const path = join(dataDir, LOCK_FILE)
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, PRIVATE_FILE_MODE)
    let granted = false
    try {
      granted = tryLock(fd)
    } finally {
      if (!granted) closeSync(fd)
    }
    if (!granted) throw new DataDirInUse(dataDir, readHolder(path), advice)
    // Who holds it, for the refusal another process prints; only read while the lock is held. Best effort:
    // on a full disk the lock still holds, and what the holder then does with its database says why it stops.
    const holder: LockHolder = { pid: process.pid, command, since: now }
    try {
      ftruncateSync(fd, 0)
      writeSync(fd, JSON.stringify(holder) + '\n', 0)
    } catch {}
    return new DataDirLock(fd)
  }

  /** Closing the descriptor drops the lock; idempotent. */
  release (): void {
    if (!this.#held) return
    this.#held = false
    closeSync(this.#fd)
  }
}

function readHolder (path: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>
    if (typeof h.pid === 'number' && typeof h.command === 'string' && typeof h.since === 'number') return { pid: h.pid, command: h.command, since: h.since }
  } catch {}
  return undefined
}
