/**
 * The HTTP listener ZKTeco terminals push to (`/iclock/...`), apart from the operators' API: terminals
 * carry no token, live on the site LAN, and must reach it, so it has its own port and bind address, is off
 * unless `adms.port` is set, and serves nothing but the PUSH endpoints (docs/ADMS.md, docs/OPERATIONS.md).
 *
 * Bodies of any content type are read as bytes, up to `adms.maxBodyBytes` (a terminal's upload is a few
 * kilobytes; firmware caps it near 100 KB). A body cut off mid-way never reaches the ingress: Node
 * aborts the request, nothing is kept or answered, and the terminal sends it again.
 */
import { createServer, type Server } from 'node:http'
import type { Duplex } from 'node:stream'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import type { AdmsIngress, Answer } from './ingress.js'
import type { AdmsMetrics } from './adms-metrics.js'

export interface AdmsListenerOptions {
  ingress: AdmsIngress
  metrics: AdmsMetrics
  maxBodyBytes: number
  maxConnections: number
}

/** A slow terminal on a poor link still sends a few kilobytes in this long. */
const HEADERS_TIMEOUT_MS = 20_000
const REQUEST_TIMEOUT_MS = 60_000
const DEADLINE_CHECK_MS = 1000

/** Query keys as terminals send them (SN, Stamp, INFO...), read without regard to case. */
function query (req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.query as Record<string, unknown>)) {
    if (typeof v === 'string') out[k.toLowerCase()] = v
  }
  return out
}

async function send (reply: FastifyReply, answer: Answer): Promise<FastifyReply> {
  return await reply.code(answer.status).header('Content-Type', 'text/plain').header('Cache-Control', 'no-store').send(answer.text)
}

export async function createAdmsServer (opts: AdmsListenerOptions): Promise<Server> {
  const { ingress, metrics } = opts
  const app = Fastify({
    serverFactory: (handler) => {
      const server = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: DEADLINE_CHECK_MS }, handler)
      server.maxConnections = opts.maxConnections
      server.on('drop', () => metrics.refused.inc({ reason: 'too_many_connections' }))
      return server
    },
    clientErrorHandler: (_err: Error, socket: Duplex) => {
      metrics.requests.inc({ endpoint: 'other', result: 'refused' })
      socket.destroy()
    },
    bodyLimit: opts.maxBodyBytes,
    logger: false
  })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => { done(null, body) })
  app.setErrorHandler(async (err: Error & { statusCode?: number, code?: string }, _req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      metrics.refused.inc({ reason: 'too_large' })
      return await send(reply, { status: 413, text: `FAIL: a body may be at most ${opts.maxBodyBytes} bytes; send fewer records at a time` })
    }
    metrics.requests.inc({ endpoint: 'other', result: 'failed' })
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
    return await send(reply, { status, text: `FAIL: ${status === 500 ? 'internal error' : err.message}` })
  })
  app.setNotFoundHandler(async (_req, reply) => {
    metrics.requests.inc({ endpoint: 'other', result: 'refused' })
    return await send(reply, { status: 404, text: 'FAIL: not an ADMS endpoint' })
  })

  app.get('/iclock/cdata', async (req, reply) => {
    const q = query(req)
    return await send(reply, ingress.handshake(q.sn, req.ip))
  })
  app.post('/iclock/cdata', async (req, reply) => {
    const q = query(req)
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
    return await send(reply, await ingress.upload(q.sn, (q.table ?? 'ATTLOG').toUpperCase(), q.stamp, body, req.ip))
  })
  app.get('/iclock/getrequest', async (req, reply) => {
    const q = query(req)
    return await send(reply, ingress.heartbeat(q.sn, q.info, req.ip))
  })
  app.post('/iclock/devicecmd', async (req, reply) => {
    const q = query(req)
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
    return await send(reply, ingress.commandResults(q.sn, body, req.ip))
  })
  await app.ready()
  return app.server
}
