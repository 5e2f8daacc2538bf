/**
 * Rate limit for the log lines a device can cause once per message (a rejected punch, an unreadable batch
 * or status, a topic the ACL refuses). Without it one misbehaving device writes the log as fast as it can
 * publish, and a full disk then stops ingest for every device (test/gateway-log-flood.test.ts).
 *
 * Per key (kind of line, device, detail such as the field a reason is about) the first line is written;
 * further lines within the window are left out and counted (the caller's `suppressed` feeds
 * punchline_log_suppressed_total{kind}), and at most one summary line per window says how many. The keys
 * are bounded: past `maxKeys` devices share one key per kind, so a flood of new device ids is limited too.
 */
import type { Logger } from '../shared/log.js'

/** one line per key per this long (docs/OPERATIONS.md, Monitoring) */
export const LOG_REPEAT_WINDOW_MS = 60_000
/** keys remembered at once; beyond it new keys share one per kind */
export const LOG_REPEAT_MAX_KEYS = 10_000

export type LimitedLevel = 'debug' | 'info' | 'warn' | 'error'

export interface RepeatKey {
  /** what kind of line: the label of punchline_log_suppressed_total */
  kind: string
  device: string
  /** what else tells lines apart (the field of a reason); '' for nothing */
  detail?: string
}

export interface LogLimiterOptions {
  log: Logger
  /** one call per line left out */
  suppressed: (kind: string) => void
  windowMs?: number
  maxKeys?: number
  now?: () => number
}

interface Repeat {
  level: LimitedLevel
  key: Required<RepeatKey>
  since: number
  suppressed: number
}

export class LogLimiter {
  readonly #log: Logger
  readonly #suppressed: (kind: string) => void
  readonly #windowMs: number
  readonly #maxKeys: number
  readonly #now: () => number
  readonly #repeats = new Map<string, Repeat>()
  #timer?: NodeJS.Timeout

  constructor (o: LogLimiterOptions) {
    this.#log = o.log
    this.#suppressed = o.suppressed
    this.#windowMs = o.windowMs ?? LOG_REPEAT_WINDOW_MS
    this.#maxKeys = o.maxKeys ?? LOG_REPEAT_MAX_KEYS
    this.#now = o.now ?? Date.now
    if (!(this.#windowMs > 0) || !(this.#maxKeys >= 1)) throw new Error('LogLimiter: windowMs must be > 0 and maxKeys >= 1')
  }

  /** Writes the line unless one of the same key was written within the window; then only counts it. */
  write (level: LimitedLevel, key: RepeatKey, fields: object, msg: string): void {
    const detail = key.detail ?? ''
    let id = `${key.kind}\u0000${key.device}\u0000${detail}`
    let repeat = this.#repeats.get(id)
    if (repeat === undefined && this.#repeats.size >= this.#maxKeys) {
      id = `${key.kind}\u0000*`
      repeat = this.#repeats.get(id)
    }
    const now = this.#now()
    if (repeat !== undefined && now - repeat.since < this.#windowMs) {
      repeat.suppressed++
      this.#suppressed(key.kind)
      return
    }
    if (repeat !== undefined) this.#summarise(repeat, now)
    else this.#repeats.set(id, { level, key: { kind: key.kind, device: id.endsWith('*') ? '*' : key.device, detail }, since: now, suppressed: 0 })
    this.#log[level](fields, msg)
    this.#tick()
  }

  /** Lines left out and not yet summarised, by kind (for tests and shutdown). */
  pending (): number {
    let n = 0
    for (const r of this.#repeats.values()) n += r.suppressed
    return n
  }

  /** Writes the summaries due now and forgets keys quiet for a whole window. */
  sweep (): void {
    const now = this.#now()
    for (const [id, r] of this.#repeats) {
      if (now - r.since < this.#windowMs) continue
      if (r.suppressed > 0) this.#summarise(r, now)
      else this.#repeats.delete(id)
    }
    if (this.#repeats.size === 0) this.#stopTimer()
  }

  /** Writes every summary still owed and forgets all keys (at shutdown). */
  close (): void {
    const now = this.#now()
    for (const r of this.#repeats.values()) if (r.suppressed > 0) this.#summarise(r, now)
    this.#repeats.clear()
    this.#stopTimer()
  }

  #summarise (r: Repeat, now: number): void {
    if (r.suppressed > 0) {
      this.#log[r.level]({ kind: r.key.kind, device: r.key.device, detail: r.key.detail, suppressed: r.suppressed, overMs: now - r.since },
        'similar log lines suppressed')
    }
    r.since = now
    r.suppressed = 0
  }

  // The timer runs only while keys are remembered, and never holds the process open.
  #tick (): void {
    if (this.#timer !== undefined) return
    this.#timer = setInterval(() => this.sweep(), this.#windowMs)
    this.#timer.unref()
  }

  #stopTimer (): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}
