/**
 * A backup taken on a thread of its own (backup-thread.ts starts it): its own connection copies the whole
 * file in one step of SQLite's online backup, from one snapshot. In steps, every commit of another
 * connection (the commit thread, the event loop's) makes SQLite start the copy again; in one step on the
 * event loop, the loop would stand still for the whole copy.
 */
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { backupDatabase, type BackupInfo } from './backup.js'
import { DEFAULT_BUSY_TIMEOUT_MS } from './db.js'

export interface BackupThreadData { file: string, dir: string, keep: number, now: number }
export type BackupThreadAnswer = { info: BackupInfo } | { error: string }

async function backup (data: BackupThreadData): Promise<BackupInfo> {
  const db = new Database(data.file, { fileMustExist: true })
  try {
    db.pragma(`busy_timeout = ${DEFAULT_BUSY_TIMEOUT_MS}`)
    return await backupDatabase(db, data.dir, data.keep, data.now, { oneStep: true })
  } finally {
    db.close()
  }
}

backup(workerData as BackupThreadData).then(
  (info) => parentPort?.postMessage({ info } satisfies BackupThreadAnswer),
  (err: Error) => parentPort?.postMessage({ error: err.message } satisfies BackupThreadAnswer)
)
