/**
 * Opens the gateway's SQLite file with the durability the contract promises: WAL with synchronous=FULL,
 * so a committed transaction survives power loss before the device is told its punches are stored.
 * Both pragmas are set on every open: a reopened WAL database falls back to synchronous=NORMAL.
 */
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { MIGRATIONS } from './migrations.js'

export type Db = Database.Database
export type Statement = Database.Statement<unknown[]>

export interface OpenOptions {
  /** busy timeout for writers in other processes (the CLI), ms */
  busyTimeoutMs?: number
  readonly?: boolean
}

export function openDatabase (file: string, opts: OpenOptions = {}): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const db = new Database(file, { readonly: opts.readonly ?? false })
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`)
  if (opts.readonly !== true) {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    migrate(db)
  }
  return db
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
