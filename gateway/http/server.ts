/**
 * The gateway's HTTP face on Fastify: `/healthz` for supervisors and load balancers, `/metrics` for
 * Prometheus, the first read-only JSON views under `/api/*` behind the site token (legacy-routes.ts), and
 * the versioned API under `/api/v1` with operators, roles and sessions (v1/), and the web console's files at
 * `/` (console-routes.ts). The node server underneath is made here, so that its deadlines, the connection
 * cap and the refusal counters stay ours.
 */
import { createServer, type Server } from 'node:http'
import type { Duplex } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import type { HttpConfig } from '../config.js'
import type { HttpRefusal } from './refusal.js'
import { BearerToken } from './bearer.js'
import { registerLegacyRoutes } from './legacy-routes.js'
import { registerErrorReplies } from './errors.js'
import { registerApiV1 } from './v1/api.js'
import { consoleDir, registerConsoleRoutes } from './console-routes.js'
import type { HttpOptions } from './options.js'

export type { HttpRefusal } from './refusal.js'
export type { HttpOptions, JsonView } from './options.js'

/**
 * How often Node looks for requests past their header or request deadline. Its default
 * (`connectionsCheckingInterval`, 30 s in Node's http.createServer) would let a slow client hold a
 * connection that long past `http.headersTimeoutMs`.
 */
const DEADLINE_CHECK_MS = 1000

/** The largest request body taken: the API's bodies are a name and a password, a role, a comment. */
export const MAX_BODY_BYTES = 64 * 1024

/** The HTTP server, routes registered and ready to listen. */
export async function createHttpServer (opts: HttpOptions): Promise<Server> {
  return (await createHttpApp(opts)).server
}

/** The Fastify app with every route registered and ready; its `server` is not listening yet. */
export async function createHttpApp (opts: HttpOptions): Promise<FastifyInstance> {
  const app = newHttpApp(opts.settings, opts.refused)
  registerErrorReplies(app, opts)
  const siteToken = new BearerToken(opts.token)
  registerLegacyRoutes(app, { ...opts, siteToken })
  await registerApiV1(app, { ...opts, siteToken })
  await registerConsoleRoutes(app, consoleDir())
  await app.ready()
  return app
}

/**
 * A Fastify app on our own node server, with no route yet: the gateway's (createHttpApp) and the cluster
 * console's (gateway/cluster/console/) share its deadlines, connection cap and refusal counters.
 */
export function newHttpApp (s: Pick<HttpConfig, 'maxConnections' | 'headersTimeoutMs' | 'requestTimeoutMs' | 'trustProxy'>, refused: (reason: HttpRefusal) => void): FastifyInstance {
  return Fastify({
    serverFactory: (handler) => {
      const server = createServer({
        headersTimeout: s.headersTimeoutMs,
        requestTimeout: s.requestTimeoutMs,
        connectionsCheckingInterval: DEADLINE_CHECK_MS
      }, handler)
      // Past the cap Node closes new connections as they arrive and says so with 'drop'.
      server.maxConnections = s.maxConnections
      server.on('drop', () => refused('too_many_connections'))
      return server
    },
    clientErrorHandler: (err: NodeJS.ErrnoException, socket: Duplex) => {
      // What Node answers without a listener (408 past a deadline, 400 otherwise), counted.
      const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      refused(timedOut ? 'request_timeout' : 'bad_request')
      if (socket.writable) socket.write(timedOut ? 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n' : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
      socket.destroy()
    },
    bodyLimit: MAX_BODY_BYTES,
    logger: false,
    // Behind a TLS reverse proxy (http.trustProxy): req.protocol and req.ip from X-Forwarded-Proto and
    // -For, so the session cookie is Secure and login backoff counts the client, not the proxy.
    trustProxy: s.trustProxy,
    // A field the schema does not know is refused (400), not silently dropped; query strings are text,
    // so numbers in them are converted.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } }
  })
}
