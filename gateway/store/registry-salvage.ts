/**
 * After a corrupt database is moved aside the gateway starts on an empty file, and an empty devices table
 * would lock out every device that uses credentials: the site would stop until each one is registered
 * again. The newest backup was integrity-checked when it was taken; its registry (devices with their
 * secret hashes, the roster) is copied into the new file so devices reconnect at once and resend.
 */
import type { Db } from './db.js'
import type { Logger } from '../../shared/log.js'
import { listBackups } from './backup.js'
import { RosterStore } from './roster-store.js'

export interface Salvaged {
  devices: number
  roster: number
}

export function salvageRegistry (db: Db, backupFile: string): Salvaged {
  db.prepare('ATTACH DATABASE ? AS salvage').run(backupFile)
  try {
    return db.transaction((): Salvaged => {
      const has = (table: string): boolean =>
        db.prepare("SELECT 1 FROM salvage.sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined
      const devices = has('devices')
        ? db.prepare('INSERT OR IGNORE INTO main.devices (id, secret_hash, created, last_seen, status) SELECT id, secret_hash, created, last_seen, status FROM salvage.devices').run().changes
        : 0
      let roster = 0
      if (has('roster')) {
        roster = db.prepare('INSERT OR IGNORE INTO main.roster (scope, badge, employee, name, updated) SELECT scope, badge, employee, name, updated FROM salvage.roster').run().changes
        if (roster > 0) new RosterStore(db).touch()
      }
      return { devices, roster }
    }).immediate()
  } finally {
    db.prepare('DETACH DATABASE salvage').run()
  }
}

/** The gateway's corrupt-start step: the registry from the newest backup in `dir`, said in the log either way. */
export function salvageFromNewestBackup (db: Db, dir: string, log: Logger): Salvaged | undefined {
  const newest = listBackups(dir).at(-1)
  if (newest === undefined) {
    log.error('no backup to take the device registry from: devices with credentials must be added again (punchline devices add), or stop and run punchline restore')
    return undefined
  }
  try {
    const got = salvageRegistry(db, newest.path)
    log.warn({ from: newest.path, ...got }, 'device registry and roster taken from the newest backup')
    return got
  } catch (err) {
    log.error({ err, from: newest.path }, 'could not read the device registry from the newest backup')
    return undefined
  }
}
