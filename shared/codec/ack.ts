/**
 * Ack: gateway → device on `{prefix}/{device}/acks`, sent only after the punches are on disk.
 * The device frees a ring slot only for a seq listed in `ok` or `rejected`.
 */
import { LIMITS, isEpoch, isSeq } from '../punch.js'
import type { SeqRange } from '../ranges.js'
import type { PunchRejection } from './batch.js'
import { isObject, parseV1Object, stringOf } from './check.js'

export interface BatchAck {
  v: 1
  id?: string
  epoch: string
  ok: SeqRange[]
  rejected: PunchRejection[]
}

export interface ErrorAck {
  v: 1
  id?: string
  epoch?: string
  error: string
}

export type Ack = BatchAck | ErrorAck

export function isErrorAck (ack: Ack): ack is ErrorAck {
  return 'error' in ack
}

export function encodeAck (ack: Ack): string {
  // Field order fixed for readability with mosquitto_sub; undefined fields are left out by JSON.stringify.
  if (isErrorAck(ack)) return JSON.stringify({ v: 1, id: ack.id, epoch: ack.epoch, error: ack.error })
  return JSON.stringify({ v: 1, id: ack.id, epoch: ack.epoch, ok: ack.ok, rejected: ack.rejected })
}

export type AckDecodeResult = { ok: true, ack: Ack } | { ok: false, error: string }

export function decodeAck (payload: Buffer | string): AckDecodeResult {
  const parsed = parseV1Object(payload)
  if ('error' in parsed) return { ok: false, error: parsed.error }
  const m = parsed.value
  if (m.id !== undefined && stringOf(m.id, 1, LIMITS.maxBatchIdLength) !== undefined) {
    return { ok: false, error: `id: must be a string of 1 to ${LIMITS.maxBatchIdLength} characters` }
  }
  if (m.epoch !== undefined && !isEpoch(m.epoch)) return { ok: false, error: 'epoch: must be 8 lowercase hex characters' }
  if (m.error !== undefined) {
    if (typeof m.error !== 'string') return { ok: false, error: 'error: must be a string' }
    return { ok: true, ack: { v: 1, id: m.id as string | undefined, epoch: m.epoch as string | undefined, error: m.error } }
  }
  if (m.epoch === undefined) return { ok: false, error: 'epoch: must be 8 lowercase hex characters' }
  const ok = m.ok ?? []
  if (!Array.isArray(ok)) return { ok: false, error: 'ok: must be an array of [from, to] seq ranges' }
  for (let i = 0; i < ok.length; i++) {
    const r = ok[i]
    if (!Array.isArray(r) || r.length !== 2 || !isSeq(r[0]) || !isSeq(r[1]) || r[0] > r[1]) {
      return { ok: false, error: `ok[${i}]: must be a [from, to] pair of seqs with from <= to` }
    }
  }
  const rejected = m.rejected ?? []
  if (!Array.isArray(rejected)) return { ok: false, error: 'rejected: must be an array of {seq, reason}' }
  for (let i = 0; i < rejected.length; i++) {
    const r = rejected[i]
    if (!isObject(r) || !isSeq(r.seq) || typeof r.reason !== 'string') {
      return { ok: false, error: `rejected[${i}]: must be {seq, reason}` }
    }
  }
  return {
    ok: true,
    ack: { v: 1, id: m.id as string | undefined, epoch: m.epoch as string, ok: ok as SeqRange[], rejected: rejected as PunchRejection[] }
  }
}
