/**
 * `punchline backup` takes an online backup (safe while the gateway runs: it only reads the live file);
 * `punchline restore` puts one back, holding the data directory's lock (store/data-dir-lock.ts) so that it
 * refuses while a gateway runs and no gateway starts while it replaces the file. The file it replaces is kept.
 */
import { existsSync } from 'node:fs'
import { defineCommand } from '../../shared/cli.js'
import { backupDir, databasePath, loadConfig } from '../config.js'
import { openDatabase } from '../store/db.js'
import { backupDatabase, listBackups, restoreDatabase } from '../store/backup.js'
import { DataDirLock } from '../store/data-dir-lock.js'

export const BACKUP_COMMAND = defineCommand({
  usage: ['punchline backup [--data] [--config] [--to] [--keep]', 'punchline backup list [--data] [--config] [--to]'],
  flags: {
    data: { type: 'string', value: 'DIR' },
    config: { type: 'string', value: 'FILE' },
    to: { type: 'string', value: 'DIR' },
    keep: { type: 'whole', value: '7', min: 1 }
  },
  positionals: true
})

export const RESTORE_COMMAND = defineCommand({
  usage: ['punchline restore (FILE | --latest) [--data] [--config]'],
  flags: { data: { type: 'string', value: 'DIR' }, config: { type: 'string', value: 'FILE' }, latest: { type: 'boolean' } },
  positionals: true
})

export const BACKUP_USAGE = BACKUP_COMMAND.usage + '\n' + RESTORE_COMMAND.usage

export async function runBackup (argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = BACKUP_COMMAND.parse(argv)
  const cfg = loadConfig({ file: values.config, env: process.env, flags: { data: values.data } })
  if (values.to !== undefined) cfg.backup.dir = values.to
  if (values.keep !== undefined) cfg.backup.keep = values.keep
  if (positionals[0] === 'list') {
    const list = listBackups(backupDir(cfg))
    out(list.length === 0 ? `no backups in ${backupDir(cfg)}` : list.map(b => `${new Date(b.at).toISOString()}  ${(b.bytes / 2 ** 20).toFixed(1).padStart(8)} MiB  ${b.path}`).join('\n'))
    return 0
  }
  if (positionals.length > 0) throw new Error('usage:\n' + BACKUP_USAGE)
  if (!existsSync(databasePath(cfg))) throw new Error(`no database at ${databasePath(cfg)}: nothing to back up (check --data)`)
  // Read-only: a reader beside a running gateway, and never a migration of a file some gateway may be using.
  const db = openDatabase(databasePath(cfg), { readonly: true })
  try {
    // One step: the running gateway's commits would make a copy in steps start again (store/backup.ts).
    const info = await backupDatabase(db, backupDir(cfg), cfg.backup.keep, Date.now(), { oneStep: true })
    out(`backup written: ${info.path} (${(info.bytes / 2 ** 20).toFixed(1)} MiB, integrity checked; keeping the newest ${cfg.backup.keep})`)
    return 0
  } finally {
    db.close()
  }
}

export async function runRestore (argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = RESTORE_COMMAND.parse(argv)
  const cfg = loadConfig({ file: values.config, env: process.env, flags: { data: values.data } })
  let file = positionals[0]
  if (values.latest === true) {
    const list = listBackups(backupDir(cfg))
    if (list.length === 0) throw new Error(`no backups in ${backupDir(cfg)}`)
    file = list[list.length - 1].path
  }
  if (file === undefined) throw new Error('usage:\n' + BACKUP_USAGE)
  const lock = DataDirLock.acquire(cfg.dataDir, 'restore', 'stop it first, then restore')
  let restored: ReturnType<typeof restoreDatabase>
  try {
    restored = restoreDatabase(file, databasePath(cfg))
  } finally {
    lock.release()
  }
  const { keptAs, mark } = restored
  out(`restored ${file} to ${databasePath(cfg)}` + (keptAs === undefined ? '' : `; the previous file is kept as ${keptAs}`))
  const taken = mark.backupAt === undefined ? '' : ` (taken ${new Date(mark.backupAt).toISOString()})`
  out(`start the gateway: devices send their pending punches, and each is asked once to resend the punches stored after the backup${taken}, acknowledged ones too, while its ring still holds them. ` +
    'What cannot come back: punches a device has overwritten in its ring since (docs/OPERATIONS.md, Backups)')
  return 0
}
