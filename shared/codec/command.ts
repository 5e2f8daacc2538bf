/**
 * Commands: gateway → device on `{prefix}/{device}/cmd`.
 */
import { LIMITS, isEpoch, isSeq } from '../punch.js'
import { intIn, parseV1Object } from './check.js'

export type Command =
  | { v: 1, op: 'time', now: number }
  | { v: 1, op: 'resend', epoch: string, from: number, to: number }

export function encodeCommand (c: Command): string {
  return JSON.stringify(c)
}

export type CommandDecodeResult = { ok: true, command: Command } | { ok: false, error: string }

export function decodeCommand (payload: Buffer | string): CommandDecodeResult {
  const parsed = parseV1Object(payload)
  if ('error' in parsed) return { ok: false, error: parsed.error }
  const m = parsed.value
  switch (m.op) {
    case 'time': {
      const rule = intIn(m.now, LIMITS.minTs, LIMITS.maxTs)
      if (rule !== undefined) return { ok: false, error: `now: ${rule}` }
      return { ok: true, command: { v: 1, op: 'time', now: m.now as number } }
    }
    case 'resend': {
      if (!isEpoch(m.epoch)) return { ok: false, error: 'epoch: must be 8 lowercase hex characters' }
      if (!isSeq(m.from)) return { ok: false, error: `from: must be an integer between 1 and ${LIMITS.maxSeq}` }
      if (!isSeq(m.to) || (m.to as number) < (m.from as number)) return { ok: false, error: 'to: must be a seq >= from' }
      return { ok: true, command: { v: 1, op: 'resend', epoch: m.epoch, from: m.from as number, to: m.to as number } }
    }
    default:
      return { ok: false, error: 'op: must be one of time, resend' }
  }
}
