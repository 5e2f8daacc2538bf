/**
 * Opens the gateway's SQLite file with the durability the contract promises: WAL with synchronous=FULL,
 * so a committed transaction survives power loss before the device is told its punches are stored.
 * Both pragmas are set on every open: a reopened WAL database falls back to synchronous=NORMAL.
 */
import Database from 'better-sqlite3'
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import { MIGRATIONS } from './migrations.js'
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './data-dir-lock.js'

/** how long a statement waits for a lock another process holds (the CLI writing beside the gateway), ms */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000

export type Db = Database.Database
export type Statement = Database.Statement<unknown[]>

export interface OpenOptions {
  /** busy timeout for writers in other processes (the CLI), ms */
  busyTimeoutMs?: number
  readonly?: boolean
}

export function openDatabase (file: string, opts: OpenOptions = {}): Db {
  if (file !== ':memory:' && opts.readonly !== true) createPrivately(file)
  const db = new Database(file, { readonly: opts.readonly ?? false })
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`)
  if (opts.readonly !== true) {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    migrate(db)
  }
  return db
}

/**
 * SQLite creates a database 0644 and gives its -wal and -shm the mode of the database file: a file made
 * 0600 first keeps all three private (punches, badge numbers, secret hashes) under any umask.
 */
function createPrivately (file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE })
  if (!existsSync(file)) closeSync(openSync(file, 'a', PRIVATE_FILE_MODE))
}

/**
 * Takes the write lock once and lets it go: throws SQLITE_BUSY when another process holds it past the
 * busy timeout. A WAL reader is never blocked, so without this a gateway would start on a file it cannot
 * write and refuse every batch.
 */
export function proveWritable (db: Db): void {
  db.exec('BEGIN IMMEDIATE')
  db.exec('COMMIT')
}

export function schemaVersion (db: Db): number {
  return db.pragma('user_version', { simple: true }) as number
}

function migrate (db: Db): void {
  const from = schemaVersion(db)
  if (from > MIGRATIONS.length) {
    throw new Error(`database schema version ${from} is newer than this punchline knows (${MIGRATIONS.length}); upgrade punchline`)
  }
  for (let v = from; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v])
      db.pragma(`user_version = ${v + 1}`)
    }).immediate()
  }
}

export function getMeta (db: Db, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined
  return row?.value
}

export function setMeta (db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value)
}

/**
 * A whole number kept in the meta table under one key, with its statements prepared once: the forward
 * cursor and the roster version are read and moved on hot paths, inside the callers' transactions.
 */
export class MetaInteger {
  readonly #get: Statement
  readonly #set: Statement
  readonly #bump: Statement
  readonly #key: string

  constructor (db: Db, key: string) {
    this.#key = key
    this.#get = db.prepare('SELECT CAST(value AS INTEGER) AS v FROM meta WHERE key = ?').bind(key)
    this.#set = db.prepare('UPDATE meta SET value = CAST(? AS TEXT) WHERE key = ?')
    this.#bump = db.prepare('UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = ?').bind(key)
  }

  get (): number {
    return (this.#get.get() as { v: number }).v
  }

  set (value: number): void {
    this.#set.run(value, this.#key)
  }

  bump (): void {
    this.#bump.run()
  }
}
