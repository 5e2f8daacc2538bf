/**
 * The gateway's HTTP face: `/healthz` for supervisors and load balancers, `/metrics` for Prometheus, and
 * small read-only JSON views for operators. Everything but `/healthz` (and `/metrics` while it is public)
 * asks for the API token: the views show device ids, statuses, badge numbers and upstream errors.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Logger } from '../../shared/log.js'
import type { HttpConfig } from '../config.js'
import { BearerToken } from './bearer.js'

export type JsonView = () => unknown

/** Why a request or connection was turned away (a label of punchline_http_requests_refused_total). */
export type HttpRefusal = 'no_token' | 'bad_token'

export interface HttpOptions {
  ready: () => boolean
  metrics: () => Promise<{ contentType: string, body: string }>
  views: Record<string, JsonView>
  log: Logger
  token: string
  settings: Pick<HttpConfig, 'metricsPublic'>
  refused: (reason: HttpRefusal) => void
}

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
  return createServer((req: IncomingMessage, res: ServerResponse) => {
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
}
