/** The data directory's lock and pid file: the first steps of the gateway's life and the last to stop. */
import { chmodSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { databasePath } from '../config.js'
import { DataDirInUse, DataDirLock, PRIVATE_FILE_MODE } from '../store/data-dir-lock.js'
import { DEFAULT_BUSY_TIMEOUT_MS } from '../store/db.js'
import { errorCode, storeUnavailable } from '../store/open-failure.js'
import type { LifeStep } from './step.js'

/** Held for the gateway's whole life (store/data-dir-lock.ts): one gateway per data directory. */
export const dataDirLock: LifeStep = {
  name: 'dataDirLock',
  start (life) {
    try {
      life.dirLock = DataDirLock.acquire(life.config.dataDir, 'gateway',
        'two gateways on one data directory would both write its database; stop the other one, or give this one its own --data', life.now())
    } catch (err) {
      // The lock file cannot be made (a read-only mount, a full disk): the database could not be written either.
      throw err instanceof DataDirInUse || errorCode(err) === undefined ? err : storeUnavailable(databasePath(life.config), err, DEFAULT_BUSY_TIMEOUT_MS)
    }
  },
  stop (life) {
    // After a kill -9 the kernel drops the lock; an aborted gateway's process lives on and may start another here.
    life.dirLock?.release()
    life.dirLock = undefined
  }
}

/** For people and scripts that look for the gateway's pid; the lock is what excludes a second one. */
export const pidFile: LifeStep = {
  name: 'pidFile',
  start (life) {
    const file = pidPath(life.config.dataDir)
    try {
      writeFileSync(file, String(process.pid), { mode: PRIVATE_FILE_MODE })
      chmodSync(file, PRIVATE_FILE_MODE)
    } catch (err) {
      rmSync(file, { force: true })
      // As for the lock: a directory that cannot take this small file cannot take the database's writes.
      throw errorCode(err) === undefined ? err : storeUnavailable(databasePath(life.config), err, DEFAULT_BUSY_TIMEOUT_MS)
    }
  },
  stop (life, { drain }) {
    // A crash leaves it behind; an abort, standing in for one, does too.
    if (drain) rmSync(pidPath(life.config.dataDir), { force: true })
  }
}

function pidPath (dataDir: string): string {
  return join(dataDir, 'gateway.pid')
}
