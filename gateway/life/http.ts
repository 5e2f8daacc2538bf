/** The HTTP API and probes (http/server.ts): /healthz, /metrics, the /api views and /api/v1. */
import { createHttpServer } from '../http/server.js'
import { resolveApiToken } from '../http/api-token.js'
import { firstLoginHint } from '../http/first-login.js'
import { part } from './context.js'
import { makeupSites } from '../makeup/sites.js'
import { transportSecurity } from '../broker/transport-security.js'
import type { LifeStep } from './step.js'

export const http: LifeStep = {
  name: 'http',
  async start (life) {
    const { config, log, metrics } = life
    const devices = part(life, 'devices')
    const forwardStore = part(life, 'forwardStore')
    const health = part(life, 'health')
    const apiToken = resolveApiToken(config.http.token, config.dataDir)
    // Where the token is, never the token itself.
    if (apiToken.generated) log.info({ file: apiToken.file }, 'HTTP API token generated')
    else log.info({ file: apiToken.file ?? '(http.token or PUNCHLINE_API_TOKEN)' }, 'HTTP API token')
    const server = await createHttpServer({
      ready: () => life.ready,
      metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
      views: {
        '/api/devices': () => devices.list(),
        '/api/backlog': () => forwardStore.backlog(),
        '/api/dead-letters': () => forwardStore.listDeadLetters({ limit: 1000 }),
        '/api/watermarks': () => life.watermarks(),
        '/api/health': () => health.snapshot(),
        '/api/alarms': () => health.current()
      },
      log,
      token: apiToken.token,
      db: part(life, 'db'),
      now: life.now,
      replayDeadLetters: (which, now) => forwardStore.replayDeadLetters(which, now),
      sites: config.sites,
      alarms: health,
      report: () => ({ ...health.snapshot(), alarms: health.current().alarms, security: transportSecurity(config) }),
      settings: config.http,
      fleet: { live: part(life, 'live'), store: devices, syncNow: (id) => part(life, 'sessions').syncNow(id) },
      refused: (reason) => metrics.httpRefused.inc({ reason }),
      terminals: { store: part(life, 'admsStore'), heartbeatSeconds: config.adms.delaySeconds },
      makeups: makeupSites(config.sites, life.sites),
      decided: () => { life.forwarder?.notify(); void life.reviewFeed?.send() }
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(config.http.port, config.http.host, () => resolve())
    })
    life.http = server
    const address = server.address()
    life.httpPort = typeof address === 'object' && address !== null ? address.port : config.http.port
    const hint = firstLoginHint(part(life, 'db'), config.http.host, life.httpPort, config.dataDir)
    log.info(hint.fields, hint.msg)
  },
  async stop (life, { drain }) {
    const server = life.http
    if (server === undefined) return
    if (!drain) {
      server.closeAllConnections()
      server.close()
      return
    }
    await new Promise<void>(resolve => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }
}
