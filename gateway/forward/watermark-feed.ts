/**
 * Sends the delivered watermarks to a sink that takes them (ERPNext's Shift Type last sync, a retained
 * MQTT topic, a webhook URL) every interval, only when they changed since the sink last took them, and
 * one at a time: a slow upstream never gets a queue of stale watermarks.
 */
import type { Logger } from '../../shared/log.js'
import type { Watermarks } from '../../shared/upstream.js'
import type { Sink, SinkResult } from './sink.js'

export interface WatermarkFeedOptions {
  sink: Sink
  compute: () => Watermarks
  intervalMs: number
  timeoutMs: number
  log: Logger
}

export class WatermarkFeed {
  readonly #o: WatermarkFeedOptions
  #timer?: NodeJS.Timeout
  /** the last watermarks the sink took, without their `at` */
  #sent = ''
  #sending = false
  /** aborts the watermark in flight: at its deadline, or when the feed stops */
  #inFlight?: AbortController

  constructor (o: WatermarkFeedOptions) {
    this.#o = o
  }

  start (): void {
    if (this.#o.sink.watermark === undefined) return
    this.#timer = setInterval(() => { void this.send() }, this.#o.intervalMs)
    this.#timer.unref()
  }

  stop (): void {
    clearInterval(this.#timer)
    this.#inFlight?.abort()
  }

  /** Sends now if something changed; resolves when the sink answered (never rejects). */
  async send (): Promise<void> {
    const sink = this.#o.sink
    if (sink.watermark === undefined || this.#sending) return
    this.#sending = true
    try {
      const marks = this.#o.compute()
      const key = JSON.stringify({ ...marks, at: '' })
      if (key === this.#sent) return
      const r = await this.#sendWithDeadline(marks)
      if (r.outcome === 'delivered') this.#sent = key
      else this.#o.log.warn({ outcome: r.outcome, error: r.error }, 'upstream did not take the watermark; will send it again')
    } catch (err) {
      this.#o.log.error({ err }, 'sending the watermark failed')
    } finally {
      this.#sending = false
    }
  }

  /**
   * One watermark with a deadline over all of it (ERPNext puts one Shift Type after another): a timer this
   * feed owns and clears, not `AbortSignal.timeout`, which Node 20 may collect before it fires
   * (nodejs/node#57736), and a watermark that never ends would stop the feed for good (`#sending`).
   */
  async #sendWithDeadline (marks: Watermarks): Promise<SinkResult> {
    const controller = this.#inFlight = new AbortController()
    const timer = setTimeout(() => controller.abort(new Error(`timeout: the watermark was not taken within ${this.#o.timeoutMs} ms`)), this.#o.timeoutMs)
    try {
      return await this.#o.sink.watermark!(marks, controller.signal)
    } finally {
      clearTimeout(timer)
      this.#inFlight = undefined
    }
  }
}
