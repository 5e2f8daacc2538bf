/**
 * Who is calling /api/v1 and whether they may: a bearer token (the site token, which acts as admin, or an
 * integration's API token with its role) or an operator's session cookie. A route names the roles it
 * serves in its `config.roles`; none named means open (login, the OpenAPI document). A request on a
 * session that changes something must send the session's CSRF token in `X-CSRF-Token`: the cookie goes
 * with any request the browser makes, the header only with the console's own (bearer callers have no
 * ambient credential and need none).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { BearerToken } from '../bearer.js'
import type { HttpRefusal } from '../refusal.js'
import type { Role, OperatorStore } from '../../store/operator-store.js'
import type { SessionStore } from '../../store/session-store.js'
import { sendJson } from '../errors.js'

export const SESSION_COOKIE = 'punchline_session'
export const CSRF_HEADER = 'x-csrf-token'
/** What the audit log and whoami call the site token. */
export const SITE_TOKEN_ACTOR = 'site-token'

export interface Caller {
  /** an operator's name, `token:<name>` for an API token, or `site-token` */
  name: string
  role: Role
  via: 'session' | 'token' | 'site-token'
  /** the session's cookie value and CSRF token, when via is 'session' */
  session?: { id: string, csrf: string }
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller
  }
  interface FastifyContextConfig {
    /** the roles a /api/v1 route serves; absent: open to anyone */
    roles?: readonly Role[]
  }
}

export const ANY_ROLE: readonly Role[] = ['admin', 'hr', 'viewer']

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export interface AccessParts {
  siteToken: BearerToken
  operators: OperatorStore
  sessions: SessionStore
  now: () => number
  refused: (reason: HttpRefusal) => void
}

function sameText (a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest()
  return timingSafeEqual(digest(a), digest(b))
}

function unauthorized (reply: FastifyReply, message: string): FastifyReply {
  return sendJson(reply.header('WWW-Authenticate', 'Bearer realm="punchline"'), 401, { error: 'unauthorized', message })
}

/** The caller a request's credentials name; a refusal reason when it sent ones that name nobody. */
function identify (req: FastifyRequest, parts: AccessParts): Caller | HttpRefusal | undefined {
  const authorization = req.headers.authorization
  if (authorization !== undefined) {
    if (parts.siteToken.check(authorization) === 'ok') return { name: SITE_TOKEN_ACTOR, role: 'admin', via: 'site-token' }
    const m = /^bearer +(\S+) *$/i.exec(authorization)
    const token = m === null ? undefined : parts.operators.findToken(m[1])
    return token === undefined ? 'bad_token' : { name: `token:${token.name}`, role: token.role, via: 'token' }
  }
  const id = req.cookies[SESSION_COOKIE]
  if (id === undefined) return undefined
  const session = parts.sessions.find(id, parts.now())
  if (session === undefined) return 'bad_token'
  return { name: session.operator, role: session.role, via: 'session', session: { id, csrf: session.csrf } }
}

export function registerAccess (app: FastifyInstance, parts: AccessParts): void {
  app.addHook('onRequest', async (req, reply) => {
    const roles = req.routeOptions.config.roles
    const caller = identify(req, parts)
    if (typeof caller === 'object') req.caller = caller
    if (roles === undefined) return
    if (caller === undefined) {
      parts.refused('no_token')
      return await unauthorized(reply, "log in (POST /api/v1/session) or send 'Authorization: Bearer <token>'")
    }
    if (typeof caller === 'string') {
      parts.refused(caller)
      return await unauthorized(reply, 'the token or session is not valid (expired, disabled, or never issued)')
    }
    if (!roles.includes(caller.role)) {
      parts.refused('forbidden')
      return await sendJson(reply, 403, { error: 'forbidden', message: `role ${caller.role} may not ${req.method} ${req.routeOptions.url ?? ''}; it needs ${roles.join(' or ')}` })
    }
    if (caller.session !== undefined && !SAFE_METHODS.has(req.method)) {
      const sent = req.headers[CSRF_HEADER]
      if (typeof sent !== 'string' || !sameText(sent, caller.session.csrf)) {
        parts.refused('csrf')
        return await sendJson(reply, 403, { error: 'csrf', message: `a change made on a session needs the session's CSRF token in ${CSRF_HEADER} (from POST or GET /api/v1/session)` })
      }
    }
  })
}
