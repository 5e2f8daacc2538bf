/**
 * Sends operators' decisions on flagged punches (gateway/store/review-store.ts) to a sink that takes them,
 * one batch at a time: a batch keeps its Idempotency-Key until the upstream took it, across retries and
 * restarts; transient failures back off as punch batches do (capped, full jitter, Retry-After as a floor);
 * a batch the upstream refuses for good is kept at the gateway marked with why, and counted.
 */
import type { Logger } from '../../shared/log.js'
import { retryDelay, type BackoffPolicy } from '../../shared/backoff.js'
import type { ReviewStore } from '../store/review-store.js'
import { abortText, type Sink, type SinkResult } from './sink.js'

/** Decisions per upstream request: hr decides by hand, so a batch is small; this bounds one after an outage. */
export const REVIEW_BATCH_MAX = 100

export interface ReviewFeedOptions {
  sink: Sink
  store: ReviewStore
  gatewayId: string
  backoff: BackoffPolicy
  /** how often decisions are looked for without a notify */
  pollMs: number
  timeoutMs: number
  log: Logger
  now: () => number
  delivered: (n: number) => void
  refused: (n: number) => void
}

export class ReviewFeed {
  readonly #o: ReviewFeedOptions
  #timer?: NodeJS.Timeout
  #sending = false
  #again = false
  #failures = 0
  #notBefore = 0
  #inFlight?: AbortController

  constructor (o: ReviewFeedOptions) {
    this.#o = o
  }

  start (): void {
    if (this.#o.sink.reviews === undefined) return
    this.#timer = setInterval(() => { void this.send() }, this.#o.pollMs)
    this.#timer.unref()
    void this.send()
  }

  stop (): void {
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#inFlight?.abort()
  }

  /** Sends what waits, batch after batch, until nothing does or the upstream fails; never rejects. */
  async send (): Promise<void> {
    if (this.#o.sink.reviews === undefined || this.#timer === undefined) return
    if (this.#sending) { this.#again = true; return }
    this.#sending = true
    try {
      do {
        this.#again = false
        while (this.#timer !== undefined && this.#o.now() >= this.#notBefore) {
          const batch = this.#o.store.nextBatch(REVIEW_BATCH_MAX)
          if (batch === undefined) break
          const r = await this.#deliver({ gateway: this.#o.gatewayId, batch: batch.key, punches: [], reviews: batch.reviews })
          if (!this.#apply(batch.key, batch.reviews.length, r)) break
        }
      } while (this.#again && this.#timer !== undefined)
    } catch (err) {
      this.#o.log.error({ err }, 'sending review decisions failed; retrying at the next poll')
    } finally {
      this.#sending = false
    }
  }

  /** True when the next batch may go at once. */
  #apply (key: string, n: number, r: SinkResult): boolean {
    const { store, log } = this.#o
    if (r.outcome === 'delivered') {
      store.delivered(key, this.#o.now())
      this.#failures = 0
      this.#o.delivered(n)
      return true
    }
    if (r.outcome === 'split' || r.outcome === 'park') {
      store.refused(key, r.error)
      this.#o.refused(n)
      log.error({ batch: key, reviews: n, status: r.status, error: r.error }, 'upstream refused review decisions for good; kept at the gateway, not sent again')
      return true
    }
    const floor = r.outcome === 'retry' ? r.retryAfterMs ?? 0 : 0
    const delay = r.outcome === 'config' ? this.#o.backoff.capMs : Math.max(floor, retryDelay(this.#failures, this.#o.backoff))
    this.#failures++
    this.#notBefore = this.#o.now() + delay
    log.warn({ batch: key, reviews: n, outcome: r.outcome, error: r.error, retryInMs: delay }, 'upstream did not take review decisions; will retry under the same key')
    return false
  }

  /** With a deadline this feed owns (see watermark-feed.ts for why not AbortSignal.timeout). */
  async #deliver (batch: Parameters<NonNullable<Sink['reviews']>>[0]): Promise<SinkResult> {
    const controller = this.#inFlight = new AbortController()
    const deadline = this.#o.sink.deadlineMs?.(0) ?? this.#o.timeoutMs
    const timer = setTimeout(() => controller.abort(new Error(`timeout: review decisions not taken within ${deadline} ms`)), deadline)
    try {
      const r = await this.#o.sink.reviews!(batch, controller.signal)
      return controller.signal.aborted && r.outcome !== 'delivered' ? { outcome: 'retry', error: abortText(controller.signal) } : r
    } finally {
      clearTimeout(timer)
      this.#inFlight = undefined
    }
  }
}
