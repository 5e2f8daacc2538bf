/**
 * Each device's last big clock correction in the shared store, for the clock-skew rule (group-flagger.ts
 * reads it in the transaction that flags the device's punches). The single box keeps it in memory from the
 * statuses it receives (gateway/rules/device-clocks.ts); in a cluster a status reaches one node and the
 * device's batches any node, so whichever node takes the status writes it here.
 */
import type pg from 'pg'
import type { DeviceStatus } from '../../../shared/codec/status.js'

// Two statuses of one device may reach two nodes and be written in either order: a correction never
// replaces a later one (its time says which is later); a status without one clears it, as it does on the
// single box.
const UPSERT = `INSERT INTO device_clocks (device, jump_ms, jump_at, updated) VALUES ($1, $2, $3, $4)
  ON CONFLICT (device) DO UPDATE SET jump_ms = excluded.jump_ms, jump_at = excluded.jump_at, updated = excluded.updated
  WHERE excluded.jump_at IS NULL OR device_clocks.jump_at IS NULL OR excluded.jump_at >= device_clocks.jump_at`

/**
 * Records what the status says of the device's last correction, as DeviceClocks.update reads it: a status
 * without a clock (the last will) says nothing and changes nothing; one without a correction clears it.
 * False when there was nothing to record.
 */
export async function recordClock (pool: pg.Pool, device: string, status: DeviceStatus, now: number): Promise<boolean> {
  const c = status.clock
  if (c === undefined) return false
  const known = c.lastJumpMs !== undefined && c.lastJumpAt !== undefined && Number.isFinite(c.lastJumpMs) && Number.isFinite(c.lastJumpAt)
  await pool.query(UPSERT, [device, known ? Math.round(c.lastJumpMs as number) : null, known ? Math.round(c.lastJumpAt as number) : null, now])
  return true
}
