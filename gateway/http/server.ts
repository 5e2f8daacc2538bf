/**
 * The gateway's HTTP face: `/healthz` for supervisors and load balancers, `/metrics` for Prometheus, and
 * small read-only JSON views for operators.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Logger } from '../../shared/log.js'

export type JsonView = () => unknown

export interface HttpOptions {
  ready: () => boolean
  metrics: () => Promise<{ contentType: string, body: string }>
  views: Record<string, JsonView>
  log: Logger
}

function send (res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' })
  res.end(body)
}

export function createHttpServer (opts: HttpOptions): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]
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
