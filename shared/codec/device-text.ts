/**
 * Text a device sends that is stored or forwarded (a badge, a make-up reason, a batch id, a firmware
 * version) must arrive as it was meant: no control characters, no lone surrogates, no bytes that are not
 * UTF-8. Any of those used to be accepted and then silently changed on the way (UTF-8 decoding turns a
 * bad byte into U+FFFD, SQLite a lone surrogate), so an identical resend counted a false conflict and the
 * upstream got another badge than the device read. They are refused, by field, instead
 * (test/gateway-device-text.test.ts).
 */
import { isUtf8 } from 'node:buffer'

export const DEVICE_TEXT_RULE = 'must be valid UTF-8 text without control characters'

// With the u flag a surrogate pair is one code point outside D800-DFFF: only a lone half matches.
const NOT_DEVICE_TEXT = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/u

export function isDeviceText (s: string): boolean {
  return !NOT_DEVICE_TEXT.test(s)
}

/**
 * What an undecodable byte becomes. A lone low surrogate is refused as device text wherever it lands in
 * a string; the U+FFFD before it keeps it from pairing with a high surrogate escaped just before
 * (`"\ud800"` then a bad byte would otherwise decode to a valid astral character).
 */
const UNDECODABLE = '\ufffd\udfff'

/**
 * Decodes a payload as UTF-8. A well-formed payload (the common case, checked at native speed) decodes as
 * usual; in any other each byte that is not part of a well-formed sequence becomes UNDECODABLE, so the
 * string it lands in is refused by field instead of carrying a replacement character that looks like
 * text the device sent.
 */
export function decodeUtf8 (payload: Buffer): string {
  if (isUtf8(payload)) return payload.toString('utf8')
  let out = ''
  let start = 0
  let i = 0
  while (i < payload.length) {
    const n = sequenceLength(payload, i)
    if (n > 0) { i += n; continue }
    out += payload.toString('utf8', start, i) + UNDECODABLE
    start = ++i
  }
  return out + payload.toString('utf8', start)
}

/** Length of the well-formed UTF-8 sequence starting at i (The Unicode Standard, table 3-7), or 0. */
function sequenceLength (b: Buffer, i: number): number {
  const c = b[i]
  if (c < 0x80) return 1
  const next = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < b.length && b[i + k] >= lo && b[i + k] <= hi
  if (c >= 0xc2 && c <= 0xdf) return next(1) ? 2 : 0
  if (c === 0xe0) return next(1, 0xa0) && next(2) ? 3 : 0
  if (c === 0xed) return next(1, 0x80, 0x9f) && next(2) ? 3 : 0
  if (c >= 0xe1 && c <= 0xef) return next(1) && next(2) ? 3 : 0
  if (c === 0xf0) return next(1, 0x90) && next(2) && next(3) ? 4 : 0
  if (c >= 0xf1 && c <= 0xf3) return next(1) && next(2) && next(3) ? 4 : 0
  if (c === 0xf4) return next(1, 0x80, 0x8f) && next(2) && next(3) ? 4 : 0
  return 0
}
