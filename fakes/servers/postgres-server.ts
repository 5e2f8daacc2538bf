/**
 * A private PostgreSQL server: `initdb` into a temp dir, `postgres` as a child process listening only on a
 * Unix socket in that dir (no TCP port, so nothing else on the machine can reach it and parallel users never
 * collide), stopped and removed by `stop()`. Each user takes a fresh database of its own (`database()`).
 * The tests (test/helpers/postgres.ts) and the cluster bench (bench/cluster.ts) both start theirs here.
 *
 * initdb and postgres refuse to run as root (the server must not own the machine), and tests, the bench
 * and CI run as root here: the server then runs as the unprivileged `nobody`, through spawn's uid/gid, and
 * its dir is handed to that user.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/** where a database is: host is the socket directory */
export interface PostgresDatabase { host: string, port: number, user: string, database: string }

export interface PostgresServer {
  /** the directory holding the server's socket: pg's `host` */
  socketDir: string
  port: number
  /** the postmaster's pid (its backends are its children) */
  pid: number
  /** a fresh, empty database; dropped with the server */
  database: () => Promise<PostgresDatabase>
  /** fast shutdown, then the directory removed; safe to call twice */
  stop: () => Promise<void>
}

export interface PostgresServerOptions {
  /** `-c name=value` settings beyond the defaults (max_connections=60, shared_buffers=16MB); later ones win */
  settings?: string[]
}

/** Debian's postgresql puts its server binaries beside the version, not on PATH; the newest wins. */
export function postgresBinDir (): string {
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    const versions = readdirSync(root).filter(v => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
    if (versions.length > 0) return join(root, versions[0], 'bin')
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' })
  if (which.status === 0) return join(which.stdout.trim(), '..')
  throw new Error('PostgreSQL server binaries not found (install the Debian package postgresql: .ci/run does)')
}

const SUPERUSER = 'postgres'
/** how long initdb plus the server's start may take on the shared, loaded machine */
const START_TIMEOUT_MS = 60_000
/** any number: with no TCP listener it only names the socket file */
const PORT = 5432

interface RunAs { uid: number, gid: number }

function unprivileged (): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined
  const id = (flag: string): number => Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim())
  return { uid: id('-u'), gid: id('-g') }
}

export async function startPostgresServer (opts: PostgresServerOptions = {}): Promise<PostgresServer> {
  const bin = postgresBinDir()
  const dir = mkdtempSync(join(tmpdir(), 'punchline-pg-'))
  const data = join(dir, 'data')
  const runAs = unprivileged()
  const remove = (): void => rmSync(dir, { recursive: true, force: true })
  if (runAs !== undefined) chownSync(dir, runAs.uid, runAs.gid)

  // --no-sync: initdb's files need not survive a power cut; the server itself keeps fsync on.
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', SUPERUSER, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'],
    { encoding: 'utf8', cwd: dir, ...runAs })
  if (init.status !== 0) {
    remove()
    throw new Error(`initdb failed (${init.status ?? init.signal}): ${init.stderr}`)
  }

  const settings = ['max_connections=60', 'shared_buffers=16MB', ...(opts.settings ?? [])].flatMap(s => ['-c', s])
  const server = spawn(join(bin, 'postgres'), ['-D', data, '-k', dir, '-p', String(PORT), '-c', 'listen_addresses=', ...settings],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], ...runAs })
  let log = ''
  server.stderr?.setEncoding('utf8').on('data', (s: string) => { log = (log + s).slice(-8000) })
  // A process that exits without stopping it (the bench on Ctrl-C) must not leave a server or its files behind.
  const killOnExit = (): void => {
    server.kill('SIGKILL')
    try { remove() } catch {}
  }
  process.once('exit', killOnExit)
  const stopServer = async (): Promise<void> => {
    process.off('exit', killOnExit)
    await stop(server)
    remove()
  }

  try {
    await ready(server, dir, () => log)
  } catch (err) {
    await stopServer()
    throw err
  }
  let n = 0
  return {
    socketDir: dir,
    port: PORT,
    pid: server.pid ?? 0,
    database: async () => {
      const name = `t${process.pid}_${++n}`
      const admin = new pg.Client({ host: dir, port: PORT, user: SUPERUSER, database: 'postgres' })
      await admin.connect()
      try {
        await admin.query(`CREATE DATABASE ${name}`)
      } finally {
        await admin.end()
      }
      return { host: dir, port: PORT, user: SUPERUSER, database: name }
    },
    stop: stopServer
  }
}

/** A libpq URL for `db`, its socket directory as the `host` parameter (what `cluster.postgres` takes). */
export function connectionString (db: PostgresDatabase): string {
  return `postgres://${db.user}@localhost:${db.port}/${db.database}?host=${encodeURIComponent(db.host)}`
}

async function ready (server: ChildProcess, dir: string, log: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) throw new Error(`postgres exited at start: ${log()}`)
    const c = new pg.Client({ host: dir, port: PORT, user: SUPERUSER, database: 'postgres' })
    try {
      await c.connect()
      await c.end()
      return
    } catch {
      await c.end().catch(() => {})
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }
  throw new Error(`postgres did not accept connections within ${START_TIMEOUT_MS} ms: ${log()}`)
}

/** SIGINT is PostgreSQL's fast shutdown: it ends client sessions instead of waiting for them (SIGTERM would). */
async function stop (server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return
  const exited = new Promise<void>(resolve => server.once('exit', () => resolve()))
  server.kill('SIGINT')
  const timer = setTimeout(() => server.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}
