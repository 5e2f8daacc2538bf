/**
 * /api/v1/session: an operator logs in with name and password and gets an httpOnly, SameSite=Strict
 * session cookie plus the CSRF token the console sends back on changes; GET says who the caller is;
 * DELETE logs out; POST /api/v1/session/password changes the operator's own password. Failed logins and
 * wrong current passwords back off per name and per address (the broker's LoginBackoff).
 */
import type { FastifyInstance } from 'fastify'
import { LoginBackoff, type BackoffLimits } from '../../broker/login-backoff.js'
import type { OperatorStore } from '../../store/operator-store.js'
import { sessionDigest, type SessionStore } from '../../store/session-store.js'
import type { HttpRefusal } from '../refusal.js'
import { sendJson } from '../errors.js'
import { ANY_ROLE, SESSION_COOKIE } from './access.js'
import { ERROR, NAME, REFUSALS, ROLE, SECURITY, TIME } from './schemas.js'

/** How long a session lasts from login: a working day and some; the console logs in again after. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000

/**
 * Logins per name and per address: five typos are free, then the name or address waits 30 s, doubling
 * with each further failure up to 15 min, and is refused without a check meanwhile. Each check is one
 * scrypt, so a guessing loop gets few checks and keeps neither the pool nor a real login waiting.
 */
export const LOGIN_BACKOFF: BackoffLimits = { freeFailures: 5, maxPending: 4, baseMs: 30_000, capMs: 15 * 60_000, forgetMs: 60 * 60_000, maxKeys: 10_000 }

const PASSWORD = { type: 'string', minLength: 1, maxLength: 1024 } as const
/** A password an operator chooses: long enough that the backoff above makes guessing it hopeless. */
export const MIN_PASSWORD_LENGTH = 12
const NEW_PASSWORD = { type: 'string', minLength: MIN_PASSWORD_LENGTH, maxLength: 1024 } as const

const WHO = {
  type: 'object',
  required: ['name', 'role', 'via'],
  properties: {
    name: { type: 'string' },
    role: ROLE,
    via: { type: 'string', enum: ['session', 'token', 'site-token'] },
    csrfToken: { type: 'string', description: 'send it back as X-CSRF-Token on every change made on this session' },
    expires: TIME,
    mode: { type: 'string', enum: ['single', 'cluster'], description: "what serves this API: a single box's gateway, or a cluster's console (punchline console --cluster), which has the cluster's views and not the box's" }
  }
} as const

/** what serves the API: the single box's gateway, or a cluster's console */
export type ApiMode = 'single' | 'cluster'

export interface SessionParts {
  operators: OperatorStore
  sessions: SessionStore
  now: () => number
  refused: (reason: HttpRefusal) => void
  mode: ApiMode
}

export function registerSessionRoutes (app: FastifyInstance, parts: SessionParts): void {
  const byName = new LoginBackoff(LOGIN_BACKOFF)
  const byAddress = new LoginBackoff(LOGIN_BACKOFF)

  app.post('/api/v1/session', {
    schema: {
      summary: 'Log in: sets the session cookie and returns the CSRF token',
      tags: ['session'],
      body: { type: 'object', required: ['name', 'password'], additionalProperties: false, properties: { name: NAME, password: PASSWORD } },
      response: {
        200: WHO,
        400: REFUSALS[400],
        401: { description: 'wrong name or password, or a disabled operator', ...ERROR },
        429: { description: 'too many failed logins for this name or address: wait Retry-After seconds', ...ERROR }
      }
    }
  }, async (req, reply) => {
    const { name, password } = req.body as { name: string, password: string }
    const now = parts.now()
    const waitName = byName.begin(name, now)
    const waitAddress = waitName > 0 ? 0 : byAddress.begin(req.ip, now)
    if (waitName > 0 || waitAddress > 0) {
      if (waitName === 0) byName.cancel(name)
      parts.refused('login_throttled')
      const seconds = Math.ceil(Math.max(waitName, waitAddress) / 1000)
      return await sendJson(reply.header('Retry-After', String(seconds)), 429, { error: 'too_many_attempts', message: `too many failed logins: try again in ${seconds} s` })
    }
    const operator = await parts.operators.checkPassword(name, password)
    const done = parts.now()
    byName.end(name, operator !== undefined, done)
    byAddress.end(req.ip, operator !== undefined, done)
    if (operator === undefined) {
      parts.refused('login_failed')
      return await sendJson(reply, 401, { error: 'unauthorized', message: 'wrong name or password' })
    }
    const session = parts.sessions.open(operator.name, done, SESSION_TTL_MS)
    parts.operators.audit.record({ at: done, actor: operator.name, action: 'session.login', target: operator.name, detail: `from ${req.ip}` })
    reply.setCookie(SESSION_COOKIE, session.id, {
      httpOnly: true,
      sameSite: 'strict',
      // Secure whenever the request came over TLS (a proxy in front); the gateway itself serves plain HTTP on the LAN.
      secure: req.protocol === 'https',
      path: '/api/',
      maxAge: Math.floor(SESSION_TTL_MS / 1000)
    })
    return await sendJson(reply, 200, { name: operator.name, role: operator.role, via: 'session', csrfToken: session.csrf, expires: session.expires, mode: parts.mode })
  })

  app.get('/api/v1/session', {
    config: { roles: ANY_ROLE },
    schema: { summary: 'Who the caller is (and the session\'s CSRF token)', tags: ['session'], security: SECURITY, response: { 200: WHO, 401: REFUSALS[401] } }
  }, async (req, reply) => {
    const c = req.caller!
    return await sendJson(reply, 200, { name: c.name, role: c.role, via: c.via, ...(c.session === undefined ? {} : { csrfToken: c.session.csrf }), mode: parts.mode })
  })

  app.delete('/api/v1/session', {
    config: { roles: ANY_ROLE },
    schema: { summary: 'Log out: ends the session and clears its cookie', tags: ['session'], security: SECURITY, response: { 204: { description: 'logged out', type: 'null' }, ...REFUSALS } }
  }, async (req, reply) => {
    const c = req.caller!
    if (c.session !== undefined) {
      const now = parts.now()
      parts.sessions.close(c.session.id)
      parts.operators.audit.record({ at: now, actor: c.name, action: 'session.logout', target: c.name, detail: null })
    }
    return await reply.clearCookie(SESSION_COOKIE, { path: '/api/', httpOnly: true, sameSite: 'strict' }).header('Cache-Control', 'no-store').code(204).send()
  })

  app.post('/api/v1/session/password', {
    config: { roles: ANY_ROLE },
    schema: {
      summary: "Change the logged-in operator's own password; their other sessions end",
      tags: ['session'],
      security: [{ session: [] }],
      body: { type: 'object', required: ['current', 'password'], additionalProperties: false, properties: { current: PASSWORD, password: NEW_PASSWORD } },
      response: { 204: { description: 'changed', type: 'null' }, ...REFUSALS, 429: { description: 'too many wrong passwords: wait Retry-After seconds', ...ERROR } }
    }
  }, async (req, reply) => {
    const c = req.caller!
    if (c.session === undefined) {
      parts.refused('forbidden')
      return await sendJson(reply, 403, { error: 'forbidden', message: 'only an operator logged in on a session has a password to change' })
    }
    const { current, password } = req.body as { current: string, password: string }
    const now = parts.now()
    const wait = byName.begin(c.name, now)
    if (wait > 0) {
      parts.refused('login_throttled')
      const seconds = Math.ceil(wait / 1000)
      return await sendJson(reply.header('Retry-After', String(seconds)), 429, { error: 'too_many_attempts', message: `too many wrong passwords: try again in ${seconds} s` })
    }
    const ok = await parts.operators.checkPassword(c.name, current) !== undefined
    byName.end(c.name, ok, parts.now())
    if (!ok) {
      parts.refused('login_failed')
      return await sendJson(reply, 403, { error: 'wrong_password', message: 'body.current: is not the current password', field: 'body.current' })
    }
    await parts.operators.setPassword(c.name, { name: c.name, now: parts.now() }, password, sessionDigest(c.session.id))
    return await reply.header('Cache-Control', 'no-store').code(204).send()
  })
}
