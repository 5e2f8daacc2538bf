/**
 * Baseline: better-sqlite3 alone, WAL + synchronous=FULL, inserting the same punch rows into the same
 * schema in transactions of `batch` rows. What the gateway's durable ingest is measured against.
 *
 * Each transaction also files its rows as the schema needs every stored punch filed (the pending set and its
 * total, the reviews), with the statements the gateway runs for it (PUNCH_FILING). Until migration 10 the
 * schema's triggers did that inside each INSERT, so the baseline paid for it without saying so; without it
 * the baseline would store a file no gateway could use (docs/DESIGN-NOTES.md, "The pending set and reviews
 * filed per transaction", says what the bare inserts cost).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../gateway/store/db.js'
import type { Punch } from '../shared/punch.js'
import { PUNCH_FILING } from '../gateway/store/punch-store.js'

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
    const lastId = db.prepare(PUNCH_FILING.lastId).pluck()
    const filePending = db.prepare(PUNCH_FILING.pending)
    const pendingTotal = db.prepare(PUNCH_FILING.pendingTotal)
    const openReviews = db.prepare(PUNCH_FILING.reviews)
    const txn = db.transaction((from: number, to: number, received: number) => {
      const before = lastId.get() as number
      for (let i = from; i < to; i++) {
        const { device, punch: p } = rowAt(i)
        insert.run(device, 'bench000', p.seq, p.ts, 480, p.emp, p.kind, p.method, p.clock, null, null, null, null, '', received)
      }
      pendingTotal.run(filePending.run(before).changes)
      openReviews.run(before)
    })
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < count; i += batch) txn(i, Math.min(count, i + batch), Date.now())
    return Number(process.hrtime.bigint() - t0) / 1e9
  } finally {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
