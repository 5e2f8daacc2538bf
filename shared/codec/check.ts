/**
 * Small field checks shared by the decoders. Each returns undefined when the value is fine, or the rule
 * it breaks, phrased to follow `path: ` in a reason a person can act on.
 */
import { DEVICE_TEXT_RULE, decodeUtf8, isDeviceText } from './device-text.js'
import { isPlainObject } from '../plain-object.js'

export type Rule = string | undefined

export const isObject = isPlainObject

export function intIn (value: unknown, min: number, max: number): Rule {
  if (!Number.isInteger(value)) return `must be an integer between ${min} and ${max}`
  const n = value as number
  if (n < min || n > max) return `must be an integer between ${min} and ${max}`
  return undefined
}

export function numberIn (value: unknown, min: number, max: number): Rule {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a number between ${min} and ${max}`
  if (value < min || value > max) return `must be between ${min} and ${max}`
  return undefined
}

/**
 * Lengths are in characters (code points), as the published JSON Schemas' minLength/maxLength count them.
 * `.length` counts UTF-16 units, two per emoji or CJK Extension B character: found by fuzzing
 * (test/fuzz-codecs.test.ts), an emp of 33 emoji was refused as longer than 64 characters while the
 * schema accepted it.
 */
export function stringOf (value: unknown, min: number, max: number): Rule {
  if (typeof value !== 'string') return `must be a string of ${min} to ${max} characters`
  // A string has between .length / 2 and .length code points: count them only when that range is not enough.
  const n = value.length <= max && value.length >= 2 * min ? value.length : codePoints(value)
  if (n < min || n > max) return `must be a string of ${min} to ${max} characters`
  return undefined
}

/** stringOf for text a device sends that is stored or forwarded: no controls, nothing that is not UTF-8. */
export function deviceTextOf (value: unknown, min: number, max: number): Rule {
  const rule = stringOf(value, min, max)
  if (rule !== undefined) return rule
  return isDeviceText(value as string) ? undefined : DEVICE_TEXT_RULE
}

/** The payload's size, in bytes as they came, against its bound. */
export function bytesAtMost (bytes: number, max: number): Rule {
  return bytes > max ? `must be at most ${max} bytes (got ${bytes})` : undefined
}

/** A surrogate pair is one code point; a lone surrogate counts as one, as JSON Schema validators count it. */
function codePoints (s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++, n++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) i++
    }
  }
  return n
}

export function oneOf (value: unknown, allowed: readonly string[]): Rule {
  if (typeof value !== 'string' || !allowed.includes(value)) return `must be one of ${allowed.join(', ')}`
  return undefined
}

/** The field a reason is about, for metric labels and log keys: the text before the first ':' ('loc.lat', 'punches[].seq'...). */
export function fieldOf (reason: string): string {
  const colon = reason.indexOf(':')
  return (colon > 0 ? reason.slice(0, colon) : 'payload').replace(/\[\d+\]/g, '[]')
}

/** Parses JSON from a buffer, returning the reason when it cannot. Bytes that are not UTF-8 reach no string unnoticed (device-text.ts). */
export function parseJson (payload: Buffer | string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(typeof payload === 'string' ? payload : decodeUtf8(payload)) }
  } catch (err) {
    return { error: `payload: not valid JSON (${(err as Error).message})` }
  }
}

/** Parses a message that must be a JSON object, returning the reason when it is not. */
export function parseObject (payload: Buffer | string): { value: Record<string, unknown> } | { error: string } {
  const parsed = parseJson(payload)
  if ('error' in parsed) return parsed
  if (!isObject(parsed.value)) return { error: 'payload: must be a JSON object' }
  return { value: parsed.value }
}

/** Parses a message of the contract's version 1: a JSON object whose `v` is 1. */
export function parseV1Object (payload: Buffer | string): { value: Record<string, unknown> } | { error: string } {
  const parsed = parseObject(payload)
  if ('error' in parsed) return parsed
  if (parsed.value.v !== 1) return { error: 'v: must be 1' }
  return parsed
}
