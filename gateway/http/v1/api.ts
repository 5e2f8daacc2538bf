/**
 * /api/v1: the versioned API. Its OpenAPI 3 document is made from the routes' schemas
 * (@fastify/swagger) and served at /api/v1/openapi.json; docs/openapi.json is the checked-in copy.
 */
import type { FastifyInstance } from 'fastify'
import type { BearerToken } from '../bearer.js'
import type { HttpOptions } from '../options.js'
import { registerApiBase } from './api-base.js'
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

export { API_VERSION } from './api-base.js'

export async function registerApiV1 (app: FastifyInstance, opts: HttpOptions & { siteToken: BearerToken }): Promise<void> {
  const { operators, sessions } = await registerApiBase(app, { db: opts.db, siteToken: opts.siteToken, now: opts.now, refused: opts.refused, mode: 'single' })
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
}
