/**
 * Baseline: better-sqlite3 alone, WAL + synchronous=FULL, inserting the same punch rows into the same
 * schema in transactions of `batch` rows. What the gateway's durable ingest is measured against.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../gateway/store/db.js'
import type { Punch } from '../shared/punch.js'

export interface RawRow { device: string, punch: Punch }

export function rawInsertRate (rows: RawRow[], batch: number): number {
  return rows.length / rawInsertSeconds(rows.length, i => rows[i], batch)
}

/**
 * Seconds to insert rows 0 to `count` - 1, each made by `rowAt` inside its transaction (a large baseline
 * need not hold every row in memory at once), into a fresh database.
 */
export function rawInsertSeconds (count: number, rowAt: (i: number) => RawRow, batch: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-bench-raw-'))
  const db = openDatabase(join(dir, 'raw.db'))
  try {
    const insert = db.prepare(`INSERT OR IGNORE INTO punches
      (device, epoch, seq, ts, tz, emp, kind, method, clock, lat, lon, acc, manual, flags, received)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    const txn = db.transaction((from: number, to: number, received: number) => {
      for (let i = from; i < to; i++) {
        const { device, punch: p } = rowAt(i)
        insert.run(device, 'bench000', p.seq, p.ts, 480, p.emp, p.kind, p.method, p.clock, null, null, null, null, '', received)
      }
    })
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < count; i += batch) txn(i, Math.min(count, i + batch), Date.now())
    return Number(process.hrtime.bigint() - t0) / 1e9
  } finally {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
