/**
 * Baseline: better-sqlite3 alone, WAL + synchronous=FULL, inserting the same punch rows into the same
 * schema in transactions of `batch` rows. What the gateway's durable ingest is measured against.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../gateway/store/db.js'
import type { Punch } from '../../shared/punch.js'

export function rawInsertRate (rows: Array<{ device: string, punch: Punch }>, batch: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-bench-raw-'))
  const db = openDatabase(join(dir, 'raw.db'))
  try {
    const insert = db.prepare(`INSERT OR IGNORE INTO punches
      (device, epoch, seq, ts, tz, emp, kind, method, clock, lat, lon, acc, manual, flags, received)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    const txn = db.transaction((slice: Array<{ device: string, punch: Punch }>, received: number) => {
      for (const { device, punch: p } of slice) {
        insert.run(device, 'bench000', p.seq, p.ts, 480, p.emp, p.kind, p.method, p.clock, null, null, null, null, '', received)
      }
    })
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < rows.length; i += batch) txn(rows.slice(i, i + batch), Date.now())
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9
    return rows.length / seconds
  } finally {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
