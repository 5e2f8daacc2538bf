/**
 * Sends the delivered watermarks to a sink that takes them (ERPNext's Shift Type last sync, a retained
 * MQTT topic, a webhook URL) every interval, only when they changed since the sink last took them, and
 * one at a time: a slow upstream never gets a queue of stale watermarks.
 */
import type { Logger } from '../../shared/log.js'
import type { Watermarks } from '../../shared/upstream.js'
import type { Sink } from './sink.js'

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
      const r = await sink.watermark(marks, AbortSignal.timeout(this.#o.timeoutMs))
      if (r.outcome === 'delivered') this.#sent = key
      else this.#o.log.warn({ outcome: r.outcome, error: r.error }, 'upstream did not take the watermark; will send it again')
    } catch (err) {
      this.#o.log.error({ err }, 'sending the watermark failed')
    } finally {
      this.#sending = false
    }
  }
}
