/**
 * A real HTTP upstream on 127.0.0.1 that speaks the webhook contract (docs/PROTOCOL.md, "Upstream HTTP
 * webhook"): the simulator's stand-in for payroll, and the tests' too. It records every request and
 * counts each punch id, and its answers can be scripted (503 storms, 429 with Retry-After, a poison
 * record answered with 422...).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { UpstreamBatch, UpstreamPunch } from '../../shared/upstream.js'

export interface WebhookRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
  /** parsed JSON body, or undefined when it was not JSON */
  body: UpstreamBatch | undefined
  raw: string
  at: number
}

export interface WebhookAnswer {
  status: number
  headers?: Record<string, string>
  body?: string
  /** destroy the socket instead of answering (a connection reset) */
  reset?: boolean
  /** answer after this long */
  delayMs?: number
  /**
   * never answer: 'request' holds the request unread by the upstream (no status, nothing taken); 'body'
   * takes the batch (counted like any answer of its status), sends the status and headers, and holds the
   * body. Either lasts until the client gives up or close().
   */
  hang?: 'request' | 'body'
}

export type Responder = (req: WebhookRequest) => WebhookAnswer

export class WebhookUpstream {
  readonly requests: WebhookRequest[] = []
  /** punch id → times received in a request answered 2xx */
  readonly received = new Map<string, number>()
  /** punch id → the last copy accepted */
  readonly punches = new Map<string, UpstreamPunch>()
  /** Idempotency-Key values seen with a 2xx answer */
  readonly acceptedKeys = new Set<string>()
  /**
   * punch id → copies among `received` that came in a request repeating an Idempotency-Key already
   * answered 2xx: a batch the gateway sent again because the answer did not reach it in time. An upstream
   * that honours the key (docs/PROTOCOL.md, "Upstream HTTP webhook") takes them once.
   */
  readonly retried = new Map<string, number>()
  #responder: Responder = () => ({ status: 200 })
  #server?: Server
  #waiters: Array<() => void> = []
  url = ''
  /** keep at most this many requests in `requests` (the simulator runs long) */
  maxRequestsKept = 10_000
  readonly #keep: boolean

  /**
   * `keep: false`: answer without keeping anything (no requests, punches, counts or keys; `waitFor` and
   * `duplicates` then see nothing), for a responder that does its own counting of millions of punches.
   */
  constructor (opts: { keep?: boolean } = {}) {
    this.#keep = opts.keep ?? true
  }

  respond (responder: Responder): void {
    this.#responder = responder
  }

  async start (port = 0, host = '127.0.0.1'): Promise<string> {
    this.#server = createServer((req, res) => this.#handle(req, res))
    this.#server.keepAliveTimeout = 30_000
    await new Promise<void>((resolve, reject) => {
      this.#server!.once('error', reject)
      this.#server!.listen(port, host, () => resolve())
    })
    const a = this.#server.address()
    const p = typeof a === 'object' && a !== null ? a.port : port
    this.url = `http://${host}:${p}/punches`
    return this.url
  }

  async close (): Promise<void> {
    const server = this.#server
    if (server === undefined) return
    await new Promise<void>(resolve => { server.close(() => resolve()); server.closeAllConnections() })
  }

  /** Resolves when `predicate` holds after some request, or rejects after `timeoutMs`. */
  async waitFor (predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (predicate()) return
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (predicate()) { clearTimeout(timer); this.#waiters = this.#waiters.filter(w => w !== check); resolve() }
      }
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter(w => w !== check)
        reject(new Error(`webhook upstream: condition not met within ${timeoutMs} ms (${this.received.size} punch ids received)`))
      }, timeoutMs)
      this.#waiters.push(check)
    })
  }

  get duplicates (): number {
    let n = 0
    for (const c of this.received.values()) if (c > 1) n += c - 1
    return n
  }

  #handle (req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      let body: UpstreamBatch | undefined
      try { body = JSON.parse(raw) as UpstreamBatch } catch { body = undefined }
      const request: WebhookRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, raw, at: Date.now() }
      if (this.#keep) {
        this.requests.push(request)
        if (this.requests.length > this.maxRequestsKept) this.requests.shift()
        this.#notify()
      }
      let answer: WebhookAnswer
      try { answer = this.#responder(request) } catch (err) { answer = { status: 500, body: String(err) } }
      const finish = (): void => {
        if (answer.reset === true) { req.socket.destroy(); this.#notify(); return }
        if (answer.hang === 'request') return
        if (this.#keep && answer.status >= 200 && answer.status < 300 && typeof body === 'object' && body !== null && Array.isArray(body.punches)) {
          const key = req.headers['idempotency-key']
          const repeat = typeof key === 'string' && this.acceptedKeys.has(key)
          for (const p of body.punches) {
            // A server stays up whatever it is sent: an entry without an id is not counted.
            if (typeof p?.id !== 'string') continue
            this.received.set(p.id, (this.received.get(p.id) ?? 0) + 1)
            if (repeat) this.retried.set(p.id, (this.retried.get(p.id) ?? 0) + 1)
            this.punches.set(p.id, p)
          }
          if (typeof key === 'string') this.acceptedKeys.add(key)
        }
        if (answer.hang === 'body') {
          res.writeHead(answer.status, { 'Content-Type': 'application/json', 'Content-Length': '1000' })
          res.write('{"accepted": ')
          this.#notify()
          return
        }
        res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers })
        res.end(answer.body ?? '{}')
        this.#notify()
      }
      if (answer.delayMs !== undefined && answer.delayMs > 0) setTimeout(finish, answer.delayMs)
      else finish()
    })
  }

  #notify (): void {
    for (const w of this.#waiters.slice()) w()
  }
}
