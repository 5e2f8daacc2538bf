/**
 * The cluster console's HTTP app (cluster-console.ts runs it; scripts/openapi.ts builds it, never
 * listening, for docs/openapi-cluster.json): /healthz, /metrics (its refusals), the /api/v1 every process
 * serves (operators, sessions, audit; v1/api-base.ts) in mode 'cluster', the cluster's own routes
 * (v1/cluster-routes.ts, v1/cluster-device-routes.ts), the single box's alarm routes over the cluster's alarms
 * (v1/alarm-routes.ts, cluster-alarm-watch.ts) and the web console's files.
 */
import type { FastifyInstance } from 'fastify'
import { Counter, Registry } from 'prom-client'
import type { Logger } from '../../../shared/log.js'
import type { HttpConfig } from '../../config.js'
import { BearerToken } from '../../http/bearer.js'
import { consoleDir, registerConsoleRoutes } from '../../http/console-routes.js'
import { registerErrorReplies, sendJsonText } from '../../http/errors.js'
import type { HttpRefusal } from '../../http/refusal.js'
import { newHttpApp } from '../../http/server.js'
import { registerApiBase } from '../../http/v1/api-base.js'
import { registerClusterRoutes } from '../../http/v1/cluster-routes.js'
import { registerClusterDeviceRoutes } from '../../http/v1/cluster-device-routes.js'
import type { SiteConfig } from '../../rules/sites.js'
import { registerAlarmRoutes, type AlarmRouteParts } from '../../http/v1/alarm-routes.js'
import { CLUSTER_ALARM_NAMES } from '../../alarms.js'
import { alarmGauges, type AlarmGauges } from '../../alarm-gauges.js'
import { NODE_ID_PATTERN } from '../node-registry.js'
import type { Db } from '../../store/db.js'
import type { ClusterAdmin } from '../cluster-admin.js'

export interface ClusterConsoleParts {
  settings: Pick<HttpConfig, 'maxConnections' | 'headersTimeoutMs' | 'requestTimeoutMs' | 'trustProxy'>
  /** the console's own database: operators, sessions, the audit log */
  db: Db
  cluster: Pick<ClusterAdmin, 'listNodes' | 'listDeadLetters' | 'replayDeadLetters' | 'backlog' | 'listDeviceStates'>
  /** the config's sites, for each device's site (absent: none) */
  sites?: Record<string, SiteConfig>
  /** the cluster's alarms (cluster-alarm-watch.ts), given the gauges to set, which the app registers in its /metrics */
  alarms: (gauges: AlarmGauges) => AlarmRouteParts['alarms']
  /** the console's site token, which acts as admin */
  token: string
  log: Logger
}

export async function createClusterConsoleApp (parts: ClusterConsoleParts): Promise<FastifyInstance> {
  const registry = new Registry()
  const refusals = new Counter({ name: 'punchline_http_requests_refused_total', help: 'HTTP requests and connections refused, by reason', labelNames: ['reason'], registers: [registry] })
  const refused = (reason: HttpRefusal): void => { refusals.inc({ reason }) }
  const alarms = parts.alarms(alarmGauges(registry))
  const app = newHttpApp(parts.settings, refused)
  registerErrorReplies(app, { log: parts.log, refused })
  const hidden = { schema: { hide: true }, exposeHeadRoute: false }
  app.get('/healthz', hidden, async (_req, reply) => await sendJsonText(reply, 200, '{"status":"ok"}\n'))
  app.get('/metrics', hidden, async (_req, reply) => await reply.header('Cache-Control', 'no-store').type(registry.contentType).send(await registry.metrics()))
  const { operators } = await registerApiBase(app, { db: parts.db, siteToken: new BearerToken(parts.token), now: Date.now, refused, mode: 'cluster' })
  registerClusterRoutes(app, { cluster: parts.cluster, audit: operators.audit, now: Date.now })
  registerClusterDeviceRoutes(app, { cluster: parts.cluster, sites: parts.sites ?? {} })
  registerAlarmRoutes(app, { alarms, names: CLUSTER_ALARM_NAMES, subjectPattern: NODE_ID_PATTERN, audit: operators.audit, refused, now: Date.now })
  await registerConsoleRoutes(app, consoleDir())
  await app.ready()
  return app
}
