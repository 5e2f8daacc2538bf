/**
 * What to ask a device to resend after the gateway's file went back in time (a restore, or an empty file
 * after a corrupt one): the seqs it may still hold that the file lacks. Devices keep acked punches in
 * their rings until the slot is reused, and a `resend` command (docs/PROTOCOL.md, "Commands") sends back
 * those still there, acked or not, at most a ring's capacity per command; INSERT OR IGNORE drops what the
 * file already has.
 *
 * For an epoch with highest stored seq S and a ring of C slots, the ring can only hold seqs in
 * [S-C+1, S+C]: below that its slots were reused, above S+C it would have to have wrapped past S. So we
 * ask for the holes in [max(1, S-C+1), S] (newest-first drains store out of order) and for [S+1, S+C].
 */
import type { Db } from './db.js'
import { LIMITS } from '../../shared/punch.js'

export type SeqRange = [number, number]

/** Holes beyond this many are asked for as one range: a device bounds a command to its capacity anyway. */
export const MAX_HOLE_RANGES = 64

export interface EpochPlan {
  epoch: string
  /** highest seq stored for this epoch, 0 when none */
  highest: number
  capacity: number
  ranges: SeqRange[]
  /** more holes than MAX_HOLE_RANGES, asked for as one range */
  collapsed: boolean
}

/** Highest stored seq per epoch, most recently stored first; `limit` bounds a device reformatted many times. */
export function storedEpochs (db: Db, device: string, limit = 8): Array<{ epoch: string, highest: number }> {
  return db.prepare(`SELECT epoch, MAX(seq) AS highest FROM punches WHERE device = ?
    GROUP BY epoch ORDER BY MAX(id) DESC LIMIT ?`).all(device, limit) as Array<{ epoch: string, highest: number }>
}

export function highestSeq (db: Db, device: string, epoch: string): number {
  const row = db.prepare('SELECT MAX(seq) AS s FROM punches WHERE device = ? AND epoch = ?').get(device, epoch) as { s: number | null }
  return row.s ?? 0
}

/** Seq ranges in [from, to] with no stored punch for (device, epoch), in order. */
export function holes (db: Db, device: string, epoch: string, from: number, to: number): SeqRange[] {
  if (to < from) return []
  // LAG over the unique index walks stored seqs once in SQLite; a sentinel before `from` finds a leading hole.
  const rows = db.prepare(`SELECT prev + 1 AS a, seq - 1 AS b FROM (
      SELECT seq, LAG(seq, 1, ?) OVER (ORDER BY seq) AS prev FROM punches
      WHERE device = ? AND epoch = ? AND seq BETWEEN ? AND ?
    ) WHERE seq - prev > 1`).all(from - 1, device, epoch, from, to) as Array<{ a: number, b: number }>
  const out: SeqRange[] = rows.map(r => [r.a, r.b])
  const last = db.prepare('SELECT MAX(seq) AS s FROM punches WHERE device = ? AND epoch = ? AND seq BETWEEN ? AND ?')
    .get(device, epoch, from, to) as { s: number | null }
  const after = last.s ?? from - 1
  if (after < to) out.push([after + 1, to])
  return out
}

export function planEpoch (db: Db, device: string, epoch: string, capacity: number): EpochPlan {
  const highest = highestSeq(db, device, epoch)
  let below = holes(db, device, epoch, Math.max(1, highest - capacity + 1), highest)
  const collapsed = below.length > MAX_HOLE_RANGES
  if (collapsed) below = [[below[0][0], below[below.length - 1][1]]]
  const ranges = [...below, [highest + 1, Math.min(LIMITS.maxSeq, highest + capacity)] as SeqRange]
  return { epoch, highest, capacity, ranges, collapsed }
}

/** Whether `device` was already asked after the restore marked `restoredAt`. */
export function wasAsked (db: Db, restoredAt: number, device: string): boolean {
  return db.prepare('SELECT 1 FROM restore_resends WHERE restored_at = ? AND device = ?').get(restoredAt, device) !== undefined
}

export function recordAsked (db: Db, restoredAt: number, device: string, at: number, plans: readonly EpochPlan[]): void {
  const asked = plans.map(p => ({ epoch: p.epoch, highest: p.highest, capacity: p.capacity, ranges: p.ranges }))
  db.prepare('INSERT OR IGNORE INTO restore_resends (restored_at, device, asked_at, asked) VALUES (?, ?, ?, ?)')
    .run(restoredAt, device, at, JSON.stringify(asked))
}
