/**
 * Device status: device → gateway on `{prefix}/{device}/status`, retained. Also the last will,
 * `{"v":1,"online":false}`, so the broker tells everyone when a device drops off.
 */
import { LIMITS, isEpoch } from '../punch.js'
import { bytesAtMost, isObject, parseV1Object, stringOf } from './check.js'
import { DEVICE_TEXT_RULE, isDeviceText } from './device-text.js'

export interface RingStatus {
  capacity: number
  pending: number
  oldestPendingTs: number | null
  overwritten: number
  refused: number
  /** extension: unacked punches destroyed because they had outlived the retention */
  expired?: number
  /** extension: punches the gateway refused for good */
  rejected?: number
}

/** extension: one hardware input's health, as the device sees it */
export interface InputStatus {
  state: 'opening' | 'open' | 'closed' | 'error'
  /** times the port or peer went away and was opened again */
  reconnects: number
  badChecksum: number
  noiseBytes: number
  /** open failures, module error codes */
  errors: number
  /** serial inputs: ports found dead while still open (the reader pulled out mid-read) and reopened */
  deadPortResets?: number
}

export interface DeviceStatus {
  v: 1
  online: boolean
  fw?: string
  epoch?: string
  /** offsetMs: the correction applied over the device's own clock; lastJump*: the last correction over the device's jump threshold (extension) */
  clock?: { synced: boolean, offsetMs?: number, lastJumpMs?: number, lastJumpAt?: number }
  ring?: RingStatus
  battery?: number
  /** extension: ms since the device process started */
  uptime?: number
  /** extension: each hardware input by its configured name */
  inputs?: Record<string, InputStatus>
}

export const OFFLINE_WILL: DeviceStatus = { v: 1, online: false }

export function encodeStatus (s: DeviceStatus): string {
  return JSON.stringify(s)
}

const RING_COUNTS = ['capacity', 'pending', 'overwritten', 'refused'] as const
const RING_EXTENSION_COUNTS = ['expired', 'rejected'] as const
const INPUT_STATES: ReadonlyArray<InputStatus['state']> = ['opening', 'open', 'closed', 'error']
const INPUT_COUNTS = ['reconnects', 'badChecksum', 'noiseBytes', 'errors'] as const

/** The reason names `inputs` and quotes the input: its name is the device's config, any string. */
function inputsError (inputs: unknown): string | undefined {
  if (!isObject(inputs)) return 'inputs: must be an object of inputs by name'
  for (const [name, i] of Object.entries(inputs)) {
    const at = `inputs: input ${JSON.stringify(name)}`
    if (!isDeviceText(name)) return `inputs: an input name ${DEVICE_TEXT_RULE}`
    if (!isObject(i)) return `${at} must be an object`
    if (!INPUT_STATES.includes(i.state as InputStatus['state'])) return `${at}: state must be one of ${INPUT_STATES.join(', ')}`
    for (const k of INPUT_COUNTS) {
      if (!Number.isSafeInteger(i[k]) || (i[k] as number) < 0) return `${at}: ${k} must be an integer >= 0`
    }
    const d = i.deadPortResets
    if (d !== undefined && (!Number.isSafeInteger(d) || (d as number) < 0)) return `${at}: deadPortResets must be an integer >= 0`
  }
  return undefined
}

export type StatusDecodeResult = { ok: true, status: DeviceStatus } | { ok: false, error: string, tooLarge?: true }

/**
 * A status is bounded as a whole (LIMITS.maxStatusBytes), checked before it is parsed: the gateway keeps
 * and serves each device's latest status, unknown extension fields included, and they must not grow to
 * the broker's packet bound.
 */
export function decodeStatus (payload: Buffer | string, maxBytes: number = LIMITS.maxStatusBytes): StatusDecodeResult {
  const size = bytesAtMost(typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length, maxBytes)
  if (size !== undefined) return { ok: false, error: `payload: ${size}`, tooLarge: true }
  const parsed = parseV1Object(payload)
  if ('error' in parsed) return { ok: false, error: parsed.error }
  const m = parsed.value
  if (typeof m.online !== 'boolean') return { ok: false, error: 'online: must be true or false' }
  if (m.fw !== undefined && stringOf(m.fw, 0, 64) !== undefined) return { ok: false, error: 'fw: must be a string of at most 64 characters' }
  if (m.fw !== undefined && !isDeviceText(m.fw as string)) return { ok: false, error: `fw: ${DEVICE_TEXT_RULE}` }
  if (m.epoch !== undefined && !isEpoch(m.epoch)) return { ok: false, error: 'epoch: must be 8 lowercase hex characters' }
  if (m.clock !== undefined && (!isObject(m.clock) || typeof m.clock.synced !== 'boolean')) {
    return { ok: false, error: 'clock.synced: must be true or false' }
  }
  // The extensions are checked too, as the published schema has them: found by fuzzing
  // (test/fuzz-codecs.test.ts), `"uptime": "x"` or `"ring": {…, "expired": -1}` went through as a status.
  if (m.clock !== undefined && m.clock.offsetMs !== undefined && (typeof m.clock.offsetMs !== 'number' || !Number.isFinite(m.clock.offsetMs))) {
    return { ok: false, error: 'clock.offsetMs: must be a number of ms' }
  }
  if (m.ring !== undefined) {
    if (!isObject(m.ring)) return { ok: false, error: 'ring: must be an object' }
    for (const k of RING_COUNTS) {
      const n = m.ring[k]
      if (!Number.isSafeInteger(n) || (n as number) < 0) return { ok: false, error: `ring.${k}: must be an integer >= 0` }
    }
    for (const k of RING_EXTENSION_COUNTS) {
      const n = m.ring[k]
      if (n !== undefined && (!Number.isSafeInteger(n) || (n as number) < 0)) return { ok: false, error: `ring.${k}: must be an integer >= 0` }
    }
    const oldest = m.ring.oldestPendingTs
    if (oldest !== null && oldest !== undefined && !Number.isSafeInteger(oldest)) {
      return { ok: false, error: 'ring.oldestPendingTs: must be an integer ms or null' }
    }
  }
  if (m.battery !== undefined && (typeof m.battery !== 'number' || m.battery < 0 || m.battery > 1)) {
    return { ok: false, error: 'battery: must be a number between 0 and 1' }
  }
  if (m.uptime !== undefined && (!Number.isSafeInteger(m.uptime) || (m.uptime as number) < 0)) {
    return { ok: false, error: 'uptime: must be an integer of ms >= 0' }
  }
  const inputs = m.inputs === undefined ? undefined : inputsError(m.inputs)
  if (inputs !== undefined) return { ok: false, error: inputs }
  return { ok: true, status: m as unknown as DeviceStatus }
}
