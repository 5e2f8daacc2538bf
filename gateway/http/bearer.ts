/**
 * `Authorization: Bearer <token>` (RFC 6750, section 2.1) checked in constant time. Both sides are hashed
 * first so that the comparison takes the same time whatever the length of what was sent: timingSafeEqual
 * alone wants equal lengths, and refusing early on a length mismatch would tell the token's length.
 */
import { createHash, timingSafeEqual } from 'node:crypto'

export type BearerCheck = 'ok' | 'no_token' | 'bad_token'

export class BearerToken {
  readonly #digest: Buffer

  constructor (token: string) {
    this.#digest = sha256(token)
  }

  check (authorization: string | undefined): BearerCheck {
    if (authorization === undefined) return 'no_token'
    // The scheme is case-insensitive (RFC 9110, section 11.1).
    const m = /^bearer +(\S+) *$/i.exec(authorization)
    if (m === null) return 'bad_token'
    return timingSafeEqual(sha256(m[1]), this.#digest) ? 'ok' : 'bad_token'
  }
}

function sha256 (text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
