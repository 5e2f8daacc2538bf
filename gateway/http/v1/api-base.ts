/**
 * What every /api/v1 serves, the single box's gateway and a cluster's console alike (docs/DESIGN-NOTES.md,
 * "The console for a cluster"): the OpenAPI document, who may call what (access.ts), operators' sessions,
 * the operators themselves and the audit log, all kept in the process's own SQLite database. `mode` tells
 * the console which pages have data here.
 */
import type { FastifyInstance } from 'fastify'
import cookie from '@fastify/cookie'
import swagger from '@fastify/swagger'
import type { BearerToken } from '../bearer.js'
import type { HttpRefusal } from '../refusal.js'
import type { Db } from '../../store/db.js'
import { OperatorStore } from '../../store/operator-store.js'
import { SessionStore } from '../../store/session-store.js'
import { sendJson } from '../errors.js'
import { registerAccess, SESSION_COOKIE, CSRF_HEADER } from './access.js'
import { registerSessionRoutes, type ApiMode } from './session-routes.js'
import { registerOperatorRoutes } from './operator-routes.js'
import { registerAuditRoutes } from './audit-routes.js'

export const API_VERSION = '1.0.0'

export interface ApiBaseParts {
  db: Db
  siteToken: BearerToken
  now: () => number
  refused: (reason: HttpRefusal) => void
  mode: ApiMode
}

export async function registerApiBase (app: FastifyInstance, parts: ApiBaseParts): Promise<{ operators: OperatorStore, sessions: SessionStore }> {
  await app.register(cookie)
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: parts.mode === 'cluster' ? 'punchline cluster console API' : 'punchline gateway API',
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
  const operators = new OperatorStore(parts.db)
  const sessions = new SessionStore(parts.db)
  registerAccess(app, { siteToken: parts.siteToken, operators, sessions, now: parts.now, refused: parts.refused })
  registerSessionRoutes(app, { operators, sessions, now: parts.now, refused: parts.refused, mode: parts.mode })
  registerOperatorRoutes(app, { operators, now: parts.now })
  registerAuditRoutes(app, operators.audit)
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async (_req, reply) => await sendJson(reply, 200, app.swagger()))
  return { operators, sessions }
}
