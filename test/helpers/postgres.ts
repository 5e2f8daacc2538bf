/**
 * A private PostgreSQL server for one test file (fakes/servers/postgres-server.ts: initdb into a temp dir,
 * the server on a Unix socket only, run as `nobody` when the tests run as root), stopped and removed at
 * teardown. Each test takes a fresh database of its own (`database()`).
 */
import type { Test } from 'tap'
import { startPostgresServer, type PostgresDatabase } from '../../fakes/servers/postgres-server.js'

export { connectionString, postgresBinDir, type PostgresDatabase } from '../../fakes/servers/postgres-server.js'

export interface PrivatePostgres {
  /** the directory holding the server's socket: pg's `host` */
  socketDir: string
  port: number
  /** a fresh, empty database for one test; dropped with the server */
  database: () => Promise<PostgresDatabase>
}

export async function startPostgres (t: Test): Promise<PrivatePostgres> {
  const server = await startPostgresServer()
  t.teardown(server.stop)
  return { socketDir: server.socketDir, port: server.port, database: server.database }
}
