/**
 * Backoff for failed logins, by key (a device id, a remote address). Checking a secret costs one scrypt
 * on the libuv pool; without a limit a client sending wrong secrets in a loop keeps the pool busy and a
 * real device's first connect waits behind it. A key may fail `freeFailures` times; past that it waits
 * `baseMs`, doubling with each further failure up to `capMs`, and is refused at once, without a check,
 * meanwhile; when the wait is over one check at a time is let through. Once a key has failed, its checks
 * still running count as failures to come, so a burst of simultaneous guesses gets no more checks than a
 * sequence would; and no key has more than `maxPending` checks running at once (a site behind NAT, whose
 * devices share one address, reconnecting together after a restart). A success clears the key; a key
 * quiet for `forgetMs` starts afresh. At most `maxKeys` keys are kept (the longest quiet go first), so a
 * flood of fresh ids or addresses costs bounded memory.
 */

export interface BackoffLimits {
  freeFailures: number
  maxPending: number
  baseMs: number
  capMs: number
  forgetMs: number
  maxKeys: number
}

class Failures {
  failures = 0
  pending = 0
  /** refused until then */
  until = 0
  last = 0
}

export class LoginBackoff {
  readonly #limits: BackoffLimits
  /** in order of last activity, oldest first */
  readonly #keys = new Map<string, Failures>()

  constructor (limits: BackoffLimits) {
    this.#limits = limits
  }

  /** Keys tracked now (bounded by maxKeys). */
  get size (): number {
    return this.#keys.size
  }

  /**
   * A login under `key` wants a secret check: returns 0 and counts it pending, or the milliseconds the key
   * must wait (refuse it, no check). Every begin() that returned 0 ends with end().
   */
  begin (key: string, now: number): number {
    const { freeFailures, maxPending, baseMs } = this.#limits
    const f = this.#current(key, now) ?? new Failures()
    if (now < f.until) return f.until - now
    if (f.pending >= maxPending) return baseMs
    if (f.failures > 0 && f.failures + f.pending >= freeFailures && f.pending > 0) return baseMs
    f.pending++
    f.last = now
    this.#touch(key, f)
    return 0
  }

  /** A begin() whose check did not happen after all (another key refused it). */
  cancel (key: string): void {
    const f = this.#keys.get(key)
    if (f !== undefined && f.pending > 0) f.pending--
  }

  end (key: string, ok: boolean, now: number): void {
    const f = this.#keys.get(key)
    if (ok) { this.#keys.delete(key); return }
    if (f === undefined) return
    f.pending = Math.max(0, f.pending - 1)
    f.failures++
    f.last = now
    const over = f.failures - this.#limits.freeFailures
    if (over >= 0) f.until = now + Math.min(this.#limits.capMs, this.#limits.baseMs * 2 ** Math.min(over, 30))
    this.#touch(key, f)
  }

  #current (key: string, now: number): Failures | undefined {
    const f = this.#keys.get(key)
    if (f === undefined) return undefined
    if (f.pending === 0 && now >= f.until && now - f.last >= this.#limits.forgetMs) {
      this.#keys.delete(key)
      return undefined
    }
    return f
  }

  /** Moves the key to the end of the order; drops the longest quiet when over maxKeys. */
  #touch (key: string, f: Failures): void {
    this.#keys.delete(key)
    this.#keys.set(key, f)
    if (this.#keys.size <= this.#limits.maxKeys) return
    const oldest = this.#keys.keys().next()
    if (oldest.done !== true) this.#keys.delete(oldest.value)
  }
}
