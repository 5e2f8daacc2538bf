/**
 * Punch batch: device → gateway on `{prefix}/{device}/punches`.
 *
 * Decoding sorts problems into two kinds, as the contract requires:
 * - the message cannot be read (too large, checked first; not JSON, wrong `v`, bad envelope, a seq that
 *   cannot be read): the gateway answers with an error ack and stores nothing;
 * - a punch breaks a rule: that seq is rejected with a reason, the rest of the batch is stored.
 */
import {
  CLOCK_STATES, LIMITS, PUNCH_KINDS, PUNCH_METHODS, isEpoch, isSeq,
  type Punch
} from '../punch.js'
import { isDeepStrictEqual } from 'node:util'
import { bytesAtMost, deviceTextOf, intIn, isObject, numberIn, oneOf, parseObject } from './check.js'
import { readBatchHead } from './batch-head.js'

export interface PunchBatch {
  v: 1
  id?: string
  epoch: string
  tz?: number
  punches: Punch[]
}

export interface PunchRejection {
  seq: number
  reason: string
}

export type BatchDecodeResult =
  | {
    ok: true
    batch: PunchBatch
    rejected: PunchRejection[]
    /** seqs sent again later in the same batch with other content: the first copy decided (a conflict) */
    repeatConflicts: number[]
  }
  | { ok: false, error: string, id?: string, epoch?: string, tooLarge?: true }

const MAX_SEQ_RULE = `must be an integer between 1 and ${LIMITS.maxSeq}`

export function decodeBatch (payload: Buffer, maxBytes: number = LIMITS.maxPayloadBytes): BatchDecodeResult {
  // Size first, in bytes as they came: parsing a payload only to refuse it is what a flood of them costs.
  const size = bytesAtMost(payload.length, maxBytes)
  if (size !== undefined) return { ok: false, error: `payload: ${size}`, tooLarge: true, ...readBatchHead(payload) }
  const parsed = parseObject(payload)
  if ('error' in parsed) return { ok: false, error: parsed.error }
  const msg = parsed.value

  // Echo what identifies the batch whenever it can be read, even for an error, so the device knows
  // which of its batches in flight the answer is about.
  const idRule = msg.id === undefined ? undefined : deviceTextOf(msg.id, 1, LIMITS.maxBatchIdLength)
  const id = msg.id !== undefined && idRule === undefined ? msg.id as string : undefined
  const epoch = isEpoch(msg.epoch) ? msg.epoch : undefined
  const fail = (error: string): BatchDecodeResult => ({ ok: false, error, id, epoch })

  if (msg.v !== 1) return fail('v: must be 1')
  if (idRule !== undefined) return fail(`id: ${idRule}`)
  if (epoch === undefined) return fail('epoch: must be 8 lowercase hex characters')
  if (msg.tz !== undefined) {
    const rule = intIn(msg.tz, LIMITS.minTz, LIMITS.maxTz)
    if (rule !== undefined) return fail(`tz: ${rule}`)
  }
  const list = msg.punches
  if (!Array.isArray(list) || list.length < 1 || list.length > LIMITS.maxPunchesPerBatch) {
    return fail(`punches: must be an array of 1 to ${LIMITS.maxPunchesPerBatch} punches`)
  }

  const punches: Punch[] = []
  const rejected: PunchRejection[] = []
  const repeatConflicts: number[] = []
  // A seq sent twice in one batch is one punch: its first copy decides (stored or rejected) and the ack
  // lists it once; a later copy with other content is a conflict the first copy wins, as for a resend.
  const firstCopy = new Map<number, Record<string, unknown>>()
  for (let i = 0; i < list.length; i++) {
    const p = list[i]
    if (!isObject(p)) return fail(`punches[${i}]: must be an object`)
    if (!isSeq(p.seq)) return fail(`punches[${i}].seq: ${MAX_SEQ_RULE}`)
    const reason = checkPunch(p)
    const first = firstCopy.get(p.seq)
    if (first !== undefined) {
      // checkPunch filled in the same defaults on both copies, so equal copies compare equal.
      if (!isDeepStrictEqual(p, first)) repeatConflicts.push(p.seq)
      continue
    }
    firstCopy.set(p.seq, p)
    if (reason === undefined) punches.push(p as unknown as Punch)
    else rejected.push({ seq: p.seq, reason })
  }

  const batch: PunchBatch = { v: 1, epoch, punches }
  if (id !== undefined) batch.id = id
  if (msg.tz !== undefined) batch.tz = msg.tz as number
  return { ok: true, batch, rejected, repeatConflicts }
}

/**
 * Checks one punch whose seq is known good and fills in defaults in place (no copy on the hot path).
 * Returns the first rule it breaks as `path: rule`, or undefined.
 */
export function checkPunch (p: Record<string, unknown>): string | undefined {
  let rule = intIn(p.ts, LIMITS.minTs, LIMITS.maxTs)
  if (rule !== undefined) return `ts: ${rule} (2000-01-01 to 2100-01-01 in ms)`
  rule = deviceTextOf(p.emp, 1, LIMITS.maxEmpLength)
  if (rule !== undefined) return `emp: ${rule}`
  if (p.kind === undefined) p.kind = 'auto'
  else if ((rule = oneOf(p.kind, PUNCH_KINDS)) !== undefined) return `kind: ${rule}`
  if ((rule = oneOf(p.method, PUNCH_METHODS)) !== undefined) return `method: ${rule}`
  if (p.clock === undefined) p.clock = 'synced'
  else if ((rule = oneOf(p.clock, CLOCK_STATES)) !== undefined) return `clock: ${rule}`

  if (p.loc !== undefined) {
    const loc = p.loc
    if (!isObject(loc)) return 'loc: must be an object {lat, lon, acc}'
    if ((rule = numberIn(loc.lat, -90, 90)) !== undefined) return `loc.lat: ${rule}`
    if ((rule = numberIn(loc.lon, -180, 180)) !== undefined) return `loc.lon: ${rule}`
    if (typeof loc.acc !== 'number' || !Number.isFinite(loc.acc) || loc.acc < 0) return 'loc.acc: must be a number of metres >= 0'
  }

  if (p.method === 'manual') {
    const manual = p.manual
    if (manual === undefined) return 'manual: required when method is manual'
    if (!isObject(manual)) return 'manual: must be an object {reason}'
    if ((rule = deviceTextOf(manual.reason, 1, LIMITS.maxManualReasonLength)) !== undefined) return `manual.reason: ${rule}`
  } else if (p.manual !== undefined) {
    return 'manual: allowed only when method is manual'
  }
  if (p.up !== undefined && (rule = intIn(p.up, 0, LIMITS.maxSeq)) !== undefined) return `up: ${rule} (ms since the device started)`
  return undefined
}

/** Encodes a batch for the wire. Punches are written field by field so nothing but the contract leaks out. */
export function encodeBatch (batch: PunchBatch): string {
  const out: Record<string, unknown> = { v: 1 }
  if (batch.id !== undefined) out.id = batch.id
  out.epoch = batch.epoch
  if (batch.tz !== undefined) out.tz = batch.tz
  out.punches = batch.punches.map(wirePunch)
  return JSON.stringify(out)
}

export function wirePunch (p: Punch): Record<string, unknown> {
  const o: Record<string, unknown> = { seq: p.seq, ts: p.ts, emp: p.emp, kind: p.kind, method: p.method, clock: p.clock }
  if (p.loc !== undefined) o.loc = { lat: p.loc.lat, lon: p.loc.lon, acc: p.loc.acc }
  if (p.manual !== undefined) o.manual = { reason: p.manual.reason }
  if (p.up !== undefined) o.up = p.up
  return o
}
