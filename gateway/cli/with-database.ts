/**
 * The database of the gateway that a command's --config / --data name, opened for the one command and
 * closed after it, whatever it ends in. The CLI writes beside a running gateway: each statement waits for
 * the gateway's locks (store/db.ts, DEFAULT_BUSY_TIMEOUT_MS) rather than failing at once.
 */
import { databasePath, loadConfig } from '../config.js'
import { openDatabase, type Db } from '../store/db.js'

export async function withDatabase<T> (values: { config?: string, data?: string }, use: (db: Db) => Promise<T>): Promise<T> {
  const cfg = loadConfig({ file: values.config, env: process.env, flags: { data: values.data } })
  const db = openDatabase(databasePath(cfg))
  try {
    return await use(db)
  } finally {
    db.close()
  }
}
