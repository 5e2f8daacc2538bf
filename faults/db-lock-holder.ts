/**
 * Another process holding the gateway's database lock, as an operator's `sqlite3` shell in a transaction
 * or a stuck backup script would: a child process that opens the file with better-sqlite3, takes the lock
 * and keeps it until it is ended. Two ways:
 * - 'exclusive': `PRAGMA locking_mode = EXCLUSIVE` then BEGIN EXCLUSIVE: even a reader is refused (SQLITE_BUSY).
 * - 'writer': BEGIN EXCLUSIVE in WAL mode: readers go on, every writer waits and then gets SQLITE_BUSY.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export type LockMode = 'exclusive' | 'writer'

/** CommonJS so that require() finds better-sqlite3 from the child's working directory, source or dist. */
const HOLDER = `
const Database = require('better-sqlite3')
const [file, mode] = process.argv.slice(1)
const db = new Database(file)
if (mode === 'exclusive') db.pragma('locking_mode = EXCLUSIVE')
db.exec('BEGIN EXCLUSIVE')
db.prepare('SELECT count(*) FROM sqlite_master').get()
process.stdout.write('held\\n')
setInterval(() => {}, 60_000)
`

export class DatabaseLockHolder {
  readonly #child: ChildProcess
  readonly #exited: Promise<void>

  private constructor (child: ChildProcess) {
    this.#child = child
    this.#exited = new Promise(resolve => child.once('exit', () => resolve()))
  }

  get pid (): number | undefined { return this.#child.pid }

  /** Resolves once the child holds the lock. */
  static async hold (file: string, mode: LockMode): Promise<DatabaseLockHolder> {
    const child = spawn(process.execPath, ['-e', HOLDER, file, mode], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const holder = new DatabaseLockHolder(child)
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString() })
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('held')) resolve() })
      child.once('exit', code => reject(new Error(`the lock holder exited with ${String(code)} before taking the lock: ${stderr}`)))
    })
    return holder
  }

  /** Ends the child; the kernel drops its lock with it. */
  async release (): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL')
    await this.#exited
  }
}
