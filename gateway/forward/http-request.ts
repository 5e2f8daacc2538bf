/**
 * One HTTP request of an HTTP sink (webhook, ERPNext): the sink's deadline and the gateway's stop signal
 * together, a bounded read of the answer, and a network failure told in words. Never rejects, so a sink
 * maps every way a request can end onto its outcomes without a try around each call.
 */
import { parseRetryAfter } from '../../shared/backoff.js'

export interface HttpAnswer {
  ok: true
  status: number
  /** at most `maxBody` characters of the body, trimmed; an ellipsis marks a cut */
  text: string
  /** Retry-After as ms from now, when the answer carries a readable one */
  retryAfterMs?: number
  location?: string
}

export interface HttpFailure {
  ok: false
  error: string
}

export interface HttpRequest {
  url: string
  method: 'POST' | 'PUT'
  headers: Record<string, string>
  body: string
  timeoutMs: number
  maxBody: number
  now: () => number
}

export async function httpRequest (req: HttpRequest, signal: AbortSignal): Promise<HttpAnswer | HttpFailure> {
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      // A redirect would turn the POST into a GET on its way (301/302), or land on a login page that
      // answers 200: neither may count as delivered, so the sink sees the 3xx itself.
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(req.timeoutMs)])
    })
    const text = await readBounded(res, req.maxBody)
    const answer: HttpAnswer = { ok: true, status: res.status, text }
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), req.now())
    if (retryAfterMs !== undefined) answer.retryAfterMs = retryAfterMs
    const location = res.headers.get('location')
    if (location !== null) answer.location = location
    return answer
  } catch (err) {
    return { ok: false, error: describeNetworkError(err, req.timeoutMs) }
  }
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
