/**
 * GET /api/v1/events (every role): the live events as a server-sent event stream (events/), for the
 * console's EventSource (which sends the session cookie) and for scripts with a bearer token. A stream
 * lives as long as its credentials: a session logged out or expired, or a token disabled, ends it at the
 * next heartbeat.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { EventStreams } from '../../events/event-streams.js'
import { LIVE_EVENT_TYPES } from '../../events/live-events.js'
import type { OperatorStore } from '../../store/operator-store.js'
import type { SessionStore } from '../../store/session-store.js'
import { sendJson } from '../errors.js'
import { ANY_ROLE } from './access.js'
import { ERROR, REFUSALS, SECURITY } from './schemas.js'

/** What a refused stream is told to wait before it tries again. */
const RETRY_AFTER_S = 30

export interface EventRouteParts {
  streams: EventStreams
  operators: OperatorStore
  sessions: SessionStore
  now: () => number
}

/** Whether the credentials that opened a stream still name someone enabled. */
function stillValid (req: FastifyRequest, parts: EventRouteParts): () => boolean {
  const c = req.caller!
  if (c.session !== undefined) {
    const id = c.session.id
    return () => parts.sessions.find(id, parts.now()) !== undefined
  }
  if (c.via === 'token') {
    const token = /^bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1] ?? ''
    return () => parts.operators.findToken(token) !== undefined
  }
  return () => true
}

export function registerEventRoutes (app: FastifyInstance, parts: EventRouteParts): void {
  app.get('/api/v1/events', {
    config: { roles: ANY_ROLE },
    // A HEAD would open a stream that sends nothing and never ends.
    exposeHeadRoute: false,
    schema: {
      summary: 'Live events as text/event-stream: punch, device, alarm, dead-letter (and makeup, review); resumes from Last-Event-ID',
      description: `Events: ${LIVE_EVENT_TYPES.join(', ')}, and reset (the events since Last-Event-ID are no longer kept: reload). ` +
        'The viewer role gets punch events without emp and person, dead-letter events without the upstream\'s answer, and no makeup or review events. ' +
        'A comment line comes every 15 s. docs/API.md, "Live events".',
      tags: ['events'],
      security: SECURITY,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { lastEventId: { type: 'string', maxLength: 64, description: 'as the Last-Event-ID header, for a client that cannot set headers' } }
      },
      headers: { type: 'object', properties: { 'last-event-id': { type: 'string', maxLength: 64 } } },
      response: {
        200: { description: 'a text/event-stream that stays open', type: 'string' },
        ...REFUSALS,
        503: { description: 'http.maxEventStreams streams are open: try again after Retry-After seconds', ...ERROR }
      }
    }
  }, async (req, reply) => {
    if (parts.streams.full) {
      parts.streams.refused()
      return await sendJson(reply.header('Retry-After', String(RETRY_AFTER_S)), 503, { error: 'too_many_streams', message: 'the gateway serves as many event streams as http.maxEventStreams allows; try again later' })
    }
    const lastEventId = (req.query as { lastEventId?: string }).lastEventId ?? req.headers['last-event-id'] as string | undefined
    reply.hijack()
    parts.streams.open(reply.raw, req.caller!.role, stillValid(req, parts), lastEventId)
  })
}
