/**
 * Baseline for the cluster section: `pg` alone on one connection, inserting the punch rows a node stores
 * into the same schema (the shared store's migrations, so the same unique keys and indexes), as multi-row
 * `INSERT ... VALUES (...), (...) ON CONFLICT DO NOTHING` statements of `batch` rows, one transaction
 * each, with synchronous_commit on as the nodes commit. No outbox row and nothing read back: the store's
 * bare write rate on this server and disk.
 */
import pg from 'pg'
import { migrate } from '../gateway/cluster/postgres/migrations.js'
import type { RawRow } from './raw-sqlite.js'

const COLUMNS = ['device', 'epoch', 'seq', 'ts', 'tz', 'emp', 'kind', 'method', 'clock', 'flags', 'received']

function insertText (rows: number): string {
  const values: string[] = []
  for (let r = 0; r < rows; r++) values.push(`(${COLUMNS.map((_c, k) => `$${r * COLUMNS.length + k + 1}`).join(', ')})`)
  return `INSERT INTO punches (${COLUMNS.join(', ')}) VALUES ${values.join(', ')} ON CONFLICT DO NOTHING`
}

/** Rows per second inserting `rows` in transactions of `batch` into the fresh database at `connectionString`. */
export async function rawPostgresRate (connectionString: string, rows: RawRow[], batch: number): Promise<number> {
  const pool = new pg.Pool({ connectionString, max: 1, options: '-c synchronous_commit=on' })
  try {
    await migrate(pool)
    const c = await pool.connect()
    try {
      const full = insertText(batch)
      const t0 = process.hrtime.bigint()
      for (let i = 0; i < rows.length; i += batch) {
        const part = rows.slice(i, i + batch)
        const received = Date.now()
        const params = part.flatMap(({ device, punch: p }) => [device, 'bench000', p.seq, p.ts, 480, p.emp, p.kind, p.method, p.clock, '', received])
        await c.query('BEGIN')
        await c.query(part.length === batch ? full : insertText(part.length), params)
        await c.query('COMMIT')
      }
      return rows.length / (Number(process.hrtime.bigint() - t0) / 1e9)
    } finally {
      c.release()
    }
  } finally {
    await pool.end()
  }
}
