/**
 * The routes from before /api/v1, unchanged: `/healthz` open, `/metrics` open while http.metricsPublic,
 * and the read-only views under `/api/*`, all behind the site token (api-token.ts), which acts as admin.
 * Every method but GET is refused with 405, after the token check, as it always was. Paths outside `/api/`
 * and `/metrics` are the web console's files (console-routes.ts), open like `/healthz`.
 */
import type { FastifyInstance } from 'fastify'
import type { BearerToken } from './bearer.js'
import { isApiV1, sendJsonText } from './errors.js'
import type { HttpOptions } from './options.js'

const UNAUTHORIZED = JSON.stringify({
  error: 'unauthorized',
  message: "send the gateway's HTTP API token as 'Authorization: Bearer <token>' (the api-token file in its data dir, unless http.token or PUNCHLINE_API_TOKEN sets it)"
}) + '\n'

export function registerLegacyRoutes (app: FastifyInstance, opts: HttpOptions & { siteToken: BearerToken }): void {
  const s = opts.settings
  app.addHook('onRequest', async (req, reply) => {
    if (isApiV1(req.url)) return
    const path = req.url.split('?')[0]
    const guarded = path.startsWith('/api/') || (path === '/metrics' && !s.metricsPublic)
    if (guarded) {
      const check = opts.siteToken.check(req.headers.authorization)
      if (check !== 'ok') {
        opts.refused(check)
        return await sendJsonText(reply.header('WWW-Authenticate', 'Bearer realm="punchline"'), 401, UNAUTHORIZED)
      }
    }
    if (req.method !== 'GET') return await reply.code(405).header('Cache-Control', 'no-store').type('text/plain').send('method not allowed\n')
  })
  const hidden = { schema: { hide: true }, exposeHeadRoute: false }
  app.get('/healthz', hidden, async (_req, reply) => {
    const ok = opts.ready()
    return await sendJsonText(reply, ok ? 200 : 503, ok ? '{"status":"ok"}\n' : '{"status":"starting"}\n')
  })
  app.get('/metrics', hidden, async (_req, reply) => {
    const m = await opts.metrics()
    return await reply.header('Cache-Control', 'no-store').type(m.contentType).send(m.body)
  })
  for (const [path, view] of Object.entries(opts.views)) {
    app.get(path, hidden, async (_req, reply) => {
      return await sendJsonText(reply, 200, JSON.stringify(view(), null, 2) + '\n')
    })
  }
}
