/**
 * The punch model of the wire contract (docs/PROTOCOL.md, v1).
 * A punch is identified by (device, epoch, seq); its id upstream is `device:epoch:seq`.
 */

export const PUNCH_KINDS = ['in', 'out', 'break-out', 'break-in', 'auto'] as const
export type PunchKind = typeof PUNCH_KINDS[number]

export const PUNCH_METHODS = ['card', 'fingerprint', 'face', 'pin', 'ble', 'gps', 'manual'] as const
export type PunchMethod = typeof PUNCH_METHODS[number]

export const CLOCK_STATES = ['synced', 'unsynced'] as const
export type ClockState = typeof CLOCK_STATES[number]

export interface Location {
  lat: number
  lon: number
  /** accuracy radius in metres */
  acc: number
}

export interface ManualInfo {
  reason: string
}

/** A punch as the device records it, before it has a sequence number. */
export interface PunchInput {
  ts: number
  emp: string
  kind: PunchKind
  method: PunchMethod
  clock: ClockState
  loc?: Location
  manual?: ManualInfo
  /**
   * Extension (v1, optional): ms since the device runtime started, monotonic. Sent with unsynced punches
   * so they can be corrected later against the uptime a status reports beside a synced clock.
   */
  up?: number
}

/** A punch as it travels: numbered within its device's epoch. */
export interface Punch extends PunchInput {
  seq: number
}

/** Bounds of the contract; every one is checked at the edge. */
export const LIMITS = {
  maxPayloadBytes: 256 * 1024,
  maxStatusBytes: 16 * 1024,
  maxPunchesPerBatch: 500,
  maxBatchIdLength: 64,
  maxEmpLength: 64,
  maxManualReasonLength: 200,
  maxSeq: Number.MAX_SAFE_INTEGER,
  minTs: Date.UTC(2000, 0, 1),
  maxTs: Date.UTC(2100, 0, 1),
  minTz: -720,
  maxTz: 840
} as const

export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/
export const EPOCH_PATTERN = /^[0-9a-f]{8}$/

export function isDeviceId (value: unknown): value is string {
  return typeof value === 'string' && DEVICE_ID_PATTERN.test(value)
}

export function isEpoch (value: unknown): value is string {
  return typeof value === 'string' && EPOCH_PATTERN.test(value)
}

export function isSeq (value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1
}

/** The stable id an upstream dedupes on. */
export function punchId (device: string, epoch: string, seq: number): string {
  return `${device}:${epoch}:${seq}`
}
