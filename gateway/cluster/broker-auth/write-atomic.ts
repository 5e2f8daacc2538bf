/**
 * Writes a file whole or not at all: a temporary file beside it, flushed to disk, then renamed over it. A
 * broker reloading while `punchline broker-auth` runs reads the old file or the new one, never half of
 * one (a half password file would lock out the devices it lost).
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/** Owner read-write, group read: the broker's user reads them through its group (docs/OPERATIONS.md). */
export const BROKER_FILE_MODE = 0o640

export function writeFileAtomic (path: string, text: string, mode = BROKER_FILE_MODE): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  try {
    const fd = openSync(tmp, 'w', mode)
    try { writeSync(fd, text); fsyncSync(fd) } finally { closeSync(fd) }
    renameSync(tmp, path)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
}
