/**
 * Opens the gateway's database, the data directory being locked already. A file SQLite finds damaged is
 * moved aside and the gateway starts on a new one, with a critical alarm kept in it until an operator acts
 * (store/moved-aside.ts). Anything else that keeps the file from opening (a lock held by another process, a
 * full disk, a read-only mount...) ends the start with StoreUnavailable, the file untouched.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Logger } from '../../shared/log.js'
import { backupDir, databasePath, type GatewayConfig } from '../config.js'
import { fileStamp, inspectDatabase, listBackups, moveAside, moveBack } from '../store/backup.js'
import { DEFAULT_BUSY_TIMEOUT_MS, openDatabase, proveWritable, type Db } from '../store/db.js'
import { errorCode, storeUnavailable } from '../store/open-failure.js'
import { recordMovedAside, type MovedAside } from '../store/moved-aside.js'
import { salvageFromNewestBackup } from '../store/registry-salvage.js'
import type { LifeStep } from './step.js'

export const database: LifeStep = {
  name: 'database',
  start (life) {
    const { config, log, now } = life
    const file = databasePath(config)
    const busyMs = DEFAULT_BUSY_TIMEOUT_MS
    let moved: MovedAside | undefined
    if (existsSync(file)) {
      const found = inspectDatabase(file, 'quick', busyMs)
      if (found.state === 'unreadable') throw storeUnavailable(file, found.error, busyMs)
      if (found.state === 'damaged') moved = moveDamagedAside(file, found.problem, config, log, now())
    }
    let db: Db | undefined
    try {
      db = openDatabase(file, { busyTimeoutMs: busyMs })
      proveWritable(db)
    } catch (err) {
      db?.close()
      // A refused start changes nothing: the damaged file goes back, to be found and recorded next time.
      if (moved !== undefined) moveBack(moved.keptAs, file)
      throw errorCode(err) === undefined ? err : storeUnavailable(file, err, busyMs)
    }
    if (moved !== undefined) {
      try {
        recordMovedAside(db, moved)
        salvageFromNewestBackup(db, backupDir(config), log)
      } catch (err) {
        // A step that fails undoes its own half: the steps before it are stopped by the runner (step.ts).
        db.close()
        throw err
      }
    }
    life.db = db
    life.corruptKeptAs = moved?.keptAs
  },
  stop (life) {
    life.db?.close()
  }
}

function moveDamagedAside (file: string, problem: string, config: GatewayConfig, log: Logger, at: number): MovedAside {
  // A crash loop on a damaged file helps no one: keep it for recovery, start on a new one, say so loudly.
  const keptAs = moveAside(file, `corrupt-${fileStamp(at)}`)
  const newest = listBackups(backupDir(config)).at(-1)
  const dataDir = resolve(config.dataDir)
  const restore = newest === undefined ? null : `punchline restore ${newest.path} --data ${dataDir}`
  const ack = `punchline alarms ack database-moved-aside --data ${dataDir}`
  const what = newest !== undefined
    ? `To bring back what the newest backup holds (taken ${new Date(newest.at).toISOString()}), stop the gateway and run: ${restore ?? ''}`
    : `No backup exists in ${backupDir(config)}, so punchline restore has nothing to bring back; recover what you can from the kept file, then: ${ack}`
  log.error({ file, keptAs, problem, backup: newest?.path ?? null, restore, alarm: 'database-moved-aside' },
    `database failed its integrity check: moved aside to ${keptAs}, starting on an empty database (alarm database-moved-aside until you act). Devices resend what they still hold. ${what}`)
  return { at, keptAs, problem, restore }
}
