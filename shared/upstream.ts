/**
 * The upstream webhook body (docs/PROTOCOL.md, "Upstream HTTP webhook"). The punch `id` is the key an
 * upstream dedupes on; `batch` is also sent as the Idempotency-Key header.
 */
import type { Location, ManualInfo, PunchKind, PunchMethod } from './punch.js'

export interface UpstreamPunch {
  id: string
  device: string
  epoch: string
  seq: number
  ts: string
  local?: string
  emp: string
  kind: PunchKind
  method: PunchMethod
  received: string
  flags: string[]
  loc?: Location
  manual?: ManualInfo
  /** ms since the device runtime started, when the device sent it (unsynced clocks) */
  up?: number
}

export interface UpstreamBatch {
  gateway: string
  batch: string
  punches: UpstreamPunch[]
}

/** ISO 8601 with the device's UTC offset, e.g. `2026-11-22T08:58:03.120+08:00`. */
export function localIso (ts: number, tzMinutes: number): string {
  const shifted = new Date(ts + tzMinutes * 60_000).toISOString()
  const sign = tzMinutes < 0 ? '-' : '+'
  const abs = Math.abs(tzMinutes)
  const hh = String(Math.floor(abs / 60)).padStart(2, '0')
  const mm = String(abs % 60).padStart(2, '0')
  return shifted.slice(0, -1) + sign + hh + ':' + mm
}
