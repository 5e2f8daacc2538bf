/**
 * A private PostgreSQL server for one test file or fault run (test/helpers/postgres.ts gives it to tests): `initdb` into a temp dir, `postgres` as a child process
 * listening only on a Unix socket in that dir (no TCP port, so nothing else on the machine can reach it
 * and parallel test files never collide), stopped and removed at teardown. Each test takes a fresh
 * database of its own (`database()`).
 *
 * initdb and postgres refuse to run as root (the server must not own the machine), and tests and CI run
 * as root here: the server then runs as the unprivileged `nobody`, through spawn's uid/gid, and its dir
 * is handed to that user.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { Teardown } from './nats-cluster.js'

/** where a test's database is: host is the socket directory */
export interface PostgresDatabase { host: string, port: number, user: string, database: string }

export interface PrivatePostgres {
  /** the directory holding the server's socket: pg's `host` */
  socketDir: string
  port: number
  /** a fresh, empty database for one test; dropped with the server */
  database: () => Promise<PostgresDatabase>
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

export async function startPostgres (t: Teardown): Promise<PrivatePostgres> {
  const bin = postgresBinDir()
  const dir = mkdtempSync(join(tmpdir(), 'punchline-pg-'))
  const data = join(dir, 'data')
  const runAs = unprivileged()
  if (runAs !== undefined) chownSync(dir, runAs.uid, runAs.gid)
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))

  // --no-sync: a test server's files need not survive a power cut; the server itself keeps fsync on.
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', SUPERUSER, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'],
    { encoding: 'utf8', cwd: dir, ...runAs })
  if (init.status !== 0) throw new Error(`initdb failed (${init.status ?? init.signal}): ${init.stderr}`)

  const server = spawn(join(bin, 'postgres'), ['-D', data, '-k', dir, '-p', String(PORT), '-c', 'listen_addresses=',
    '-c', 'max_connections=60', '-c', 'shared_buffers=16MB'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], ...runAs })
  let log = ''
  server.stderr?.setEncoding('utf8').on('data', (s: string) => { log = (log + s).slice(-8000) })
  t.teardown(async () => await stop(server))
  // A test process that dies without its teardown must not leave a server behind.
  const killOnExit = (): void => { server.kill('SIGKILL') }
  process.once('exit', killOnExit)
  t.teardown(() => { process.off('exit', killOnExit) })

  await ready(server, dir, () => log)
  let n = 0
  return {
    socketDir: dir,
    port: PORT,
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
    }
  }
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
  server.kill('SIGKILL')
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
