/**
 * The connection pool a node keeps to the shared store, and its bounds. Every session commits with
 * synchronous_commit on (set at connect, whatever the server's default), and the store refuses a server
 * that does not fsync: a node acknowledges a device only once its punches are durable there.
 */
import pg from 'pg'

/** connections a node holds: group commits in flight, claims, completions */
export const DEFAULT_POOL_SIZE = 4
/** how long a node waits for a free connection before the operation fails (and is retried by its caller) */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000

export interface PostgresConnection {
  /** a libpq-style URL, or the fields of pg.PoolConfig (host may be a socket directory) */
  connectionString?: string
  host?: string
  port?: number
  user?: string
  password?: string
  database?: string
  poolSize?: number
  connectTimeoutMs?: number
}

const INT8 = 20
/**
 * bigint columns (ids, seqs, times in ms) come back as numbers: every value we store fits in 2^53 (seqs
 * are bounded so by docs/PROTOCOL.md), and pg's default, strings, would leak into every caller.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser
}

export async function openPool (conn: PostgresConnection): Promise<pg.Pool> {
  const pool = new pg.Pool({
    connectionString: conn.connectionString,
    host: conn.host,
    port: conn.port,
    user: conn.user,
    password: conn.password,
    database: conn.database,
    max: conn.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: conn.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    options: '-c synchronous_commit=on',
    types
  })
  // An idle connection the server drops (a restart, a failover) must not crash the node; the pool replaces it.
  pool.on('error', () => {})
  try {
    const { rows } = await pool.query<{ fsync: string }>('SELECT current_setting(\'fsync\') AS fsync')
    if (rows[0].fsync !== 'on') throw new Error('the shared store\'s PostgreSQL runs with fsync off: punches acknowledged to devices could be lost; refusing it')
  } catch (err) {
    await pool.end()
    throw err
  }
  return pool
}

/**
 * No connection to the store could be had (refused, timed out, the server down): nothing about the work
 * is to blame, so a group commit fails every job with it at once rather than trying each alone, which
 * would wait for a connection once per job.
 */
export class StoreUnreachable extends Error {}

/** Runs `work` in one transaction on one connection; a connection that broke is dropped from the pool. */
export async function inTransaction<T> (pool: pg.Pool, work: (c: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  let c: pg.PoolClient
  try {
    c = await pool.connect()
  } catch (err) {
    throw new StoreUnreachable(`shared store unreachable: ${(err as Error).message}`, { cause: err })
  }
  try {
    await c.query(begin)
    const out = await work(c)
    await c.query('COMMIT')
    c.release()
    return out
  } catch (err) {
    try {
      await c.query('ROLLBACK')
      c.release()
    } catch {
      c.release(true)
    }
    throw err
  }
}
