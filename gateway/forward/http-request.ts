/**
 * One HTTP request of an HTTP sink (webhook, ERPNext): the sink's deadline over the whole exchange and the
 * caller's signal (the gateway stopping, the forwarder's watchdog), a bounded read of the answer, and a network failure told in words. Never rejects, so a sink
 * maps every way a request can end onto its outcomes without a try around each call.
 *
 * Built on node:http(s) with keep-alive agents rather than fetch: fetch cost several times the CPU per
 * request, and after an outage the forwarder sends millions of punches (docs/DESIGN-NOTES.md, "The
 * forwarder's hot path", has the figures). Neither follows redirects, which suits us: a redirect would
 * turn the POST into a GET on its way (301/302), or land on a login page that answers 200, and neither
 * may count as delivered, so the sink sees the 3xx itself.
 */
import { Agent as HttpAgent, request as httpSend, type ClientRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsSend } from 'node:https'
import { parseRetryAfter } from '../../shared/backoff.js'
import { abortText } from './sink.js'

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
  /** no connection was made, so the upstream cannot have the request */
  unsent?: true
}

/** Errors that mean no connection was made: nothing of the request reached the upstream. */
const UNSENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'])

export interface HttpRequest {
  url: string
  method: 'POST' | 'PUT'
  headers: Record<string, string>
  body: string
  timeoutMs: number
  maxBody: number
  now: () => number
}

/**
 * One connection pool per scheme for the process: the forwarder sends `forward.concurrency` requests at
 * a time to one upstream, so a few sockets are reused for ever instead of a handshake per batch. Idle
 * sockets do not keep the process alive, and Node closes one before the server's `Keep-Alive: timeout`.
 */
const AGENT_OPTIONS = { keepAlive: true, maxFreeSockets: 16 }
const agents = { http: new HttpAgent(AGENT_OPTIONS), https: new HttpsAgent(AGENT_OPTIONS) }

/**
 * The deadline is a timer this function owns, armed before the connection is asked for and cleared when
 * the body has been read, so it covers connect, headers and body alike; on expiry it destroys the request
 * and the answer. Not `AbortSignal.timeout`: inside `AbortSignal.any` Node 20 holds it only weakly, and
 * after a major GC it never fires (nodejs/node#57736), which left requests to an upstream that accepted
 * and never answered outstanding for ever and forwarding wedged.
 */
export async function httpRequest (req: HttpRequest, signal: AbortSignal): Promise<HttpAnswer | HttpFailure> {
  if (signal.aborted) return { ok: false, error: abortText(signal) }
  let url: URL
  try {
    url = new URL(req.url)
  } catch (err) {
    return { ok: false, error: describeNetworkError(err) }
  }
  const secure = url.protocol === 'https:'
  if (!secure && url.protocol !== 'http:') return { ok: false, error: `unsupported URL scheme ${url.protocol} (http: or https:)` }
  const body = Buffer.from(req.body)
  let out: ClientRequest | undefined
  let res: IncomingMessage | undefined
  /** why this side ended the exchange, when it did */
  let endedBy: string | undefined
  const end = (why: string): void => {
    if (endedBy !== undefined) return
    endedBy = why
    const err = new Error(why)
    res?.destroy(err)
    out?.destroy(err)
  }
  const timer = setTimeout(() => end(`timeout: no complete answer within ${req.timeoutMs} ms`), req.timeoutMs)
  const onAbort = (): void => end(abortText(signal))
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    res = await new Promise<IncomingMessage>((resolve, reject) => {
      const send = secure ? httpsSend : httpSend
      out = send(url, {
        method: req.method,
        headers: { ...req.headers, 'content-length': String(body.length) },
        agent: secure ? agents.https : agents.http
      }, resolve)
      out.on('error', reject)
      out.end(body)
    })
    if (endedBy !== undefined) res.destroy()
    const text = await readBounded(res, req.maxBody)
    if (endedBy !== undefined) return { ok: false, error: endedBy }
    const answer: HttpAnswer = { ok: true, status: res.statusCode ?? 0, text }
    const retryAfterMs = parseRetryAfter(header(res, 'retry-after'), req.now())
    if (retryAfterMs !== undefined) answer.retryAfterMs = retryAfterMs
    const location = header(res, 'location')
    if (location !== null) answer.location = location
    return answer
  } catch (err) {
    if (endedBy !== undefined) return { ok: false, error: endedBy }
    const failure: HttpFailure = { ok: false, error: describeNetworkError(err) }
    if (UNSENT_CODES.has(String((err as { code?: unknown }).code))) failure.unsent = true
    return failure
  } finally {
    clearTimeout(timer)
    signal.removeEventListener('abort', onAbort)
  }
}

function header (res: IncomingMessage, name: string): string | null {
  const v = res.headers[name]
  return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v
}

/** Reads at most `max` characters of a body and drops the rest, so a huge error page costs nothing. */
async function readBounded (res: IncomingMessage, max: number): Promise<string> {
  res.setEncoding('utf8')
  let text = ''
  for await (const chunk of res) {
    text += chunk as string
    if (text.length > max) {
      // Stop reading: the rest is not worth the bytes (the connection is closed instead of reused).
      res.destroy()
      break
    }
  }
  return text.length > max ? text.slice(0, max) + '…' : text.trim()
}

function describeNetworkError (err: unknown): string {
  const e = err as { message?: string, code?: string, cause?: { code?: string, message?: string } }
  const code = e.code ?? e.cause?.code
  const message = e.message ?? String(err)
  return code === undefined || message.includes(code) ? message : `${message} (${code})`
}
