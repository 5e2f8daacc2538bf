/**
 * The generic upstream webhook of docs/PROTOCOL.md: one POST per batch with the batch key as
 * Idempotency-Key, and the answer classified as the contract says.
 */
import { parseRetryAfter } from '../../shared/backoff.js'
import type { UpstreamBatch } from '../../shared/upstream.js'
import type { Sink, SinkResult } from './sink.js'

export interface WebhookSinkOptions {
  url: string
  token?: string
  /** per request, from connect to the last byte of the answer */
  timeoutMs: number
  now?: () => number
}

/** Most of an error body kept for the log and the dead-letter reason. */
const MAX_ERROR_BODY = 512

export class WebhookSink implements Sink {
  readonly name = 'webhook'
  readonly #opts: WebhookSinkOptions
  readonly #now: () => number

  constructor (opts: WebhookSinkOptions) {
    this.#opts = opts
    this.#now = opts.now ?? Date.now
  }

  async deliver (batch: UpstreamBatch, signal: AbortSignal): Promise<SinkResult> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'idempotency-key': batch.batch
    }
    if (this.#opts.token !== undefined && this.#opts.token !== '') headers.authorization = `Bearer ${this.#opts.token}`
    let res: Response
    let text: string
    try {
      res = await fetch(this.#opts.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(batch),
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.#opts.timeoutMs)])
      })
      text = await readBounded(res, MAX_ERROR_BODY)
    } catch (err) {
      return { outcome: 'retry', error: describeNetworkError(err, this.#opts.timeoutMs) }
    }
    return classify(res.status, text, parseRetryAfter(res.headers.get('retry-after'), this.#now()))
  }
}

/** PROTOCOL.md, "Upstream HTTP webhook": what each answer means for the batch. */
export function classify (status: number, body: string, retryAfterMs?: number): SinkResult {
  if ((status >= 200 && status < 300) || status === 409) return { outcome: 'delivered' }
  const error = body === '' ? `HTTP ${status}` : `HTTP ${status}: ${body}`
  if (status === 400 || status === 422 || status === 413) return { outcome: 'split', status, error }
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    return retryAfterMs === undefined ? { outcome: 'retry', status, error } : { outcome: 'retry', status, error, retryAfterMs }
  }
  return { outcome: 'config', status, error }
}

/** Reads at most `max` characters of a body and drops the rest, so a huge error page costs nothing. */
async function readBounded (res: Response, max: number): Promise<string> {
  if (res.body === null) return ''
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    text += decoder.decode(value, { stream: true })
    if (text.length > max) {
      // Stop reading: the rest is not worth the bytes (the connection is closed instead of reused).
      await reader.cancel()
      break
    }
  }
  return text.length > max ? text.slice(0, max) + '…' : text.trim()
}

function describeNetworkError (err: unknown, timeoutMs: number): string {
  const e = err as { name?: string, message?: string, cause?: { code?: string, message?: string } }
  if (e.name === 'TimeoutError') return `timeout: no complete answer within ${timeoutMs} ms`
  if (e.name === 'AbortError') return 'aborted: the gateway is stopping'
  const cause = e.cause?.code ?? e.cause?.message
  return cause === undefined ? String(e.message ?? err) : `${e.message ?? 'fetch failed'}: ${cause}`
}
