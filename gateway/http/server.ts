/**
 * The gateway's HTTP face: `/healthz` for supervisors and load balancers, `/metrics` for Prometheus, and
 * small read-only JSON views for operators. Everything but `/healthz` (and `/metrics` while it is public)
 * asks for the API token: the views show device ids, statuses, badge numbers and upstream errors.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from '../../shared/log.js'
import type { HttpConfig } from '../config.js'
import { BearerToken } from './bearer.js'

export type JsonView = () => unknown

/** Why a request or connection was turned away (a label of punchline_http_requests_refused_total). */
export type HttpRefusal = 'no_token' | 'bad_token' | 'too_many_connections' | 'request_timeout' | 'bad_request'

export interface HttpOptions {
  ready: () => boolean
  metrics: () => Promise<{ contentType: string, body: string }>
  views: Record<string, JsonView>
  log: Logger
  token: string
  settings: Pick<HttpConfig, 'metricsPublic' | 'maxConnections' | 'headersTimeoutMs' | 'requestTimeoutMs'>
  refused: (reason: HttpRefusal) => void
}

/**
 * How often Node looks for requests past their header or request deadline. Its default
 * (`connectionsCheckingInterval`, 30 s in Node's http.createServer) would let a slow client hold a
 * connection that long past `http.headersTimeoutMs`.
 */
const DEADLINE_CHECK_MS = 1000

const UNAUTHORIZED = JSON.stringify({
  error: 'unauthorized',
  message: "send the gateway's HTTP API token as 'Authorization: Bearer <token>' (the api-token file in its data dir, unless http.token or PUNCHLINE_API_TOKEN sets it)"
}) + '\n'

function send (res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...headers })
  res.end(body)
}

export function createHttpServer (opts: HttpOptions): Server {
  const token = new BearerToken(opts.token)
  const s = opts.settings
  const server = createServer({
    headersTimeout: s.headersTimeoutMs,
    requestTimeout: s.requestTimeoutMs,
    connectionsCheckingInterval: DEADLINE_CHECK_MS
  }, (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]
    const open = path === '/healthz' || (path === '/metrics' && s.metricsPublic)
    if (!open) {
      const check = token.check(req.headers.authorization)
      if (check !== 'ok') {
        opts.refused(check)
        return send(res, 401, 'application/json', UNAUTHORIZED, { 'WWW-Authenticate': 'Bearer realm="punchline"' })
      }
    }
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'method not allowed\n')
    if (path === '/healthz') {
      return opts.ready()
        ? send(res, 200, 'application/json', '{"status":"ok"}\n')
        : send(res, 503, 'application/json', '{"status":"starting"}\n')
    }
    if (path === '/metrics') {
      opts.metrics().then(
        m => send(res, 200, m.contentType, m.body),
        (err: Error) => { opts.log.error({ err }, 'metrics failed'); send(res, 500, 'text/plain', 'metrics failed\n') }
      )
      return
    }
    const view = opts.views[path]
    if (view !== undefined) {
      try {
        return send(res, 200, 'application/json', JSON.stringify(view(), null, 2) + '\n')
      } catch (err) {
        opts.log.error({ err, path }, 'view failed')
        return send(res, 500, 'text/plain', 'failed\n')
      }
    }
    send(res, 404, 'text/plain', 'not found\n')
  })
  // Past the cap Node closes new connections as they arrive and says so with 'drop'.
  server.maxConnections = s.maxConnections
  server.on('drop', () => opts.refused('too_many_connections'))
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // What Node answers without a listener (408 past a deadline, 400 otherwise), counted.
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    opts.refused(timedOut ? 'request_timeout' : 'bad_request')
    if (socket.writable) socket.write(timedOut ? 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n' : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
    socket.destroy()
  })
  return server
}
