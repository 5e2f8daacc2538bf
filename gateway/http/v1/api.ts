/**
 * /api/v1: the versioned API. Its OpenAPI 3 document is made from the routes' schemas
 * (@fastify/swagger) and served at /api/v1/openapi.json; docs/openapi.json is the checked-in copy.
 */
import type { FastifyInstance } from 'fastify'
import cookie from '@fastify/cookie'
import swagger from '@fastify/swagger'
import type { BearerToken } from '../bearer.js'
import type { HttpOptions } from '../options.js'
import { OperatorStore } from '../../store/operator-store.js'
import { SessionStore } from '../../store/session-store.js'
import { sendJson } from '../errors.js'
import { registerAccess, SESSION_COOKIE, CSRF_HEADER } from './access.js'
import { registerSessionRoutes } from './session-routes.js'
import { registerOperatorRoutes } from './operator-routes.js'
import { registerAuditRoutes } from './audit-routes.js'
import { registerViewRoutes } from './view-routes.js'
import { registerPunchRoutes } from './punch-routes.js'
import { registerDeadLetterRoutes } from './dead-letter-routes.js'
import { PunchQuery } from '../../store/punch-query.js'
import { registerDeviceRoutes } from './device-routes.js'
import { registerEventRoutes } from './event-routes.js'
import { registerHistoryRoutes } from './history-routes.js'
import { MakeupStore } from '../../store/makeup-store.js'
import { MAKEUP_DEFAULTS } from '../../makeup/policy.js'
import { registerMakeupRoutes } from './makeup-routes.js'
import { registerMakeupAttachmentRoutes } from './makeup-attachment-routes.js'
import { ReviewStore } from '../../store/review-store.js'
import { registerReviewRoutes } from './review-routes.js'
import { SiteMap } from '../../rules/sites.js'
import { registerExportRoutes } from './export-routes.js'
import { registerDayRoutes } from './day-routes.js'
import { registerAlarmRoutes } from './alarm-routes.js'
import { registerReportRoutes } from './report-routes.js'
import { registerTerminalRoutes } from './terminal-routes.js'
import { AdmsStore } from '../../store/adms-store.js'

export const API_VERSION = '1.0.0'

export async function registerApiV1 (app: FastifyInstance, opts: HttpOptions & { siteToken: BearerToken }): Promise<void> {
  await app.register(cookie)
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'punchline gateway API',
        version: API_VERSION,
        description: `Operators log in (POST /api/v1/session) and send the returned CSRF token as ${CSRF_HEADER} on changes; integrations send an API token as a bearer token. docs/API.md has examples.`
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'an API token (punchline operators token add), or the site token, which acts as admin' },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'set by POST /api/v1/session' }
        }
      }
    }
  })
  const operators = new OperatorStore(opts.db)
  const sessions = new SessionStore(opts.db)
  registerAccess(app, { siteToken: opts.siteToken, operators, sessions, now: opts.now, refused: opts.refused })
  registerSessionRoutes(app, { operators, sessions, now: opts.now, refused: opts.refused })
  registerOperatorRoutes(app, { operators, now: opts.now })
  registerAuditRoutes(app, operators.audit)
  registerViewRoutes(app, opts.views)
  const siteMap = new SiteMap(opts.sites)
  const punches = new PunchQuery(opts.db, siteMap)
  const sites = Object.keys(opts.sites)
  registerPunchRoutes(app, { punches, sites, refused: opts.refused })
  registerExportRoutes(app, { punches, sites, refused: opts.refused })
  registerDayRoutes(app, { db: opts.db, sites: siteMap, refused: opts.refused })
  registerAlarmRoutes(app, { alarms: opts.alarms, audit: operators.audit, refused: opts.refused, now: opts.now })
  registerReportRoutes(app, opts.report)
  const makeups = new MakeupStore(opts.db)
  registerMakeupRoutes(app, {
    store: makeups,
    siteOf: opts.makeups?.siteOf ?? (() => ''),
    policyOf: opts.makeups?.policyOf ?? ((site) => site === '' ? MAKEUP_DEFAULTS : undefined),
    now: opts.now,
    refused: opts.refused,
    decided: opts.decided ?? (() => {})
  })
  await registerMakeupAttachmentRoutes(app, { store: makeups, now: opts.now, refused: opts.refused })
  registerReviewRoutes(app, { store: new ReviewStore(opts.db), now: opts.now, decided: opts.decided ?? (() => {}) })
  registerDeadLetterRoutes(app, { db: opts.db, audit: operators.audit, replay: opts.replayDeadLetters, now: opts.now })
  registerDeviceRoutes(app, { fleet: opts.fleet, audit: operators.audit, now: opts.now })
  registerEventRoutes(app, { streams: opts.fleet.live.streams, operators, sessions, now: opts.now })
  registerHistoryRoutes(app, opts.fleet.live.history)
  registerTerminalRoutes(app, { db: opts.db, store: opts.terminals?.store ?? new AdmsStore(opts.db), audit: operators.audit, now: opts.now, heartbeatSeconds: opts.terminals?.heartbeatSeconds ?? 10, refused: opts.refused })
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async (_req, reply) => await sendJson(reply, 200, app.swagger()))
}
