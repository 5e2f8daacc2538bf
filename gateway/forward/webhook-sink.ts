/**
 * The generic upstream webhook of docs/PROTOCOL.md: one POST per batch with the batch key as
 * Idempotency-Key, and the answer classified as the contract says.
 *
 * Watermarks: with `watermarkUrl` set, `watermark()` POSTs the Watermarks JSON there, answers classified
 * like a batch's. Without it the sink has no `watermark` method at all, so the gateway can tell that
 * nobody wants watermarks and skip computing them.
 */
import type { UpstreamBatch, Watermarks } from '../../shared/upstream.js'
import { httpRequest } from './http-request.js'
import type { Sink, SinkResult } from './sink.js'

export interface WebhookSinkOptions {
  url: string
  token?: string
  /** per request, from connect to the last byte of the answer */
  timeoutMs: number
  /** where watermarks are POSTed; unset or '' = the sink takes no watermarks */
  watermarkUrl?: string
  now?: () => number
}

/** Answers that say the upstream did not take the request. */
const NOT_TAKEN = new Set([408, 425, 429, 503])

/** Most of an error body kept for the log and the dead-letter reason. */
const MAX_ERROR_BODY = 512

export class WebhookSink implements Sink {
  readonly name = 'webhook'
  readonly watermark?: (marks: Watermarks, signal: AbortSignal) => Promise<SinkResult>
  readonly #opts: WebhookSinkOptions
  readonly #now: () => number

  constructor (opts: WebhookSinkOptions) {
    this.#opts = opts
    this.#now = opts.now ?? Date.now
    const watermarkUrl = opts.watermarkUrl
    if (watermarkUrl !== undefined && watermarkUrl !== '') {
      this.watermark = async (marks, signal) => await this.#post(watermarkUrl, marks, undefined, signal)
    }
  }

  /** One request, bounded as a whole by timeoutMs (http-request.ts). */
  deadlineMs (): number {
    return this.#opts.timeoutMs
  }

  async deliver (batch: UpstreamBatch, signal: AbortSignal): Promise<SinkResult> {
    return await this.#post(this.#opts.url, batch, batch?.batch, signal)
  }

  /** On the punches URL, like a punch batch: `punches` empty, `reviews` beside it (docs/PROTOCOL.md, "Reviews"). */
  async reviews (batch: UpstreamBatch, signal: AbortSignal): Promise<SinkResult> {
    return await this.#post(this.#opts.url, batch, batch.batch, signal)
  }

  async #post (url: string, payload: unknown, key: string | undefined, signal: AbortSignal): Promise<SinkResult> {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (typeof key === 'string') headers['idempotency-key'] = key
    if (this.#opts.token !== undefined && this.#opts.token !== '') headers.authorization = `Bearer ${this.#opts.token}`
    let body: string
    try {
      body = JSON.stringify(payload)
    } catch (err) {
      // Only a bug upstream of the sink makes a batch unserialisable; isolating it keeps the rest moving.
      return { outcome: 'split', error: `cannot encode the batch as JSON: ${(err as Error).message}` }
    }
    const answer = await httpRequest({ url, method: 'POST', headers, body, timeoutMs: this.#opts.timeoutMs, maxBody: MAX_ERROR_BODY, now: this.#now }, signal)
    if (!answer.ok) return answer.unsent === true ? { outcome: 'retry', error: answer.error, notTaken: true } : { outcome: 'retry', error: answer.error }
    const text = answer.location === undefined ? answer.text : `${answer.text} (Location: ${answer.location})`.trim()
    return classify(answer.status, text, answer.retryAfterMs)
  }
}

/** docs/PROTOCOL.md, "Upstream HTTP webhook": what each answer means for the batch. */
export function classify (status: number, body: string, retryAfterMs?: number): SinkResult {
  if ((status >= 200 && status < 300) || status === 409) return { outcome: 'delivered' }
  const error = body === '' ? `HTTP ${status}` : `HTTP ${status}: ${body}`
  if (status === 400 || status === 422 || status === 413) return { outcome: 'split', status, error }
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    const out: SinkResult = { outcome: 'retry', status, error }
    if (retryAfterMs !== undefined) out.retryAfterMs = retryAfterMs
    // Refusals before the request is processed (RFC 9110 §15.6.4, RFC 6585 §4); a 500, 502 or 504 may
    // come after the upstream (behind a proxy) took the batch.
    if (NOT_TAKEN.has(status)) out.notTaken = true
    return out
  }
  return { outcome: 'config', status, error }
}
