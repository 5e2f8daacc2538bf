/**
 * How the HTTP side answers what it cannot serve: a request its schema refuses gets a 400 naming the field
 * and the rule (`body.role: must be equal to one of the allowed values`), an unknown path a 404, a failure a
 * 500 with the cause in the log only. Each refusal is counted.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify'
import type { Logger } from '../../shared/log.js'
import type { HttpRefusal } from './refusal.js'

export interface ErrorParts {
  log: Logger
  refused: (reason: HttpRefusal) => void
}

export interface ApiError {
  error: string
  message: string
  /** the request's field the refusal is about, as `body.name`, `querystring.limit` */
  field?: string
  /** the JSON Schema keyword it broke */
  rule?: string
}

/**
 * JSON as `application/json` exactly, the header the API has always sent: Fastify appends a charset to a
 * string it sends as JSON, not to bytes (JSON is UTF-8 by definition, RFC 8259 section 8.1).
 */
export function sendJsonText (reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).header('Cache-Control', 'no-store').type('application/json').send(Buffer.from(text))
}

export function sendJson (reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return sendJsonText(reply, status, JSON.stringify(body, null, 2) + '\n')
}

export function isApiV1 (url: string): boolean {
  const path = url.split('?')[0]
  return path === '/api/v1' || path.startsWith('/api/v1/')
}

/** The field a schema error is about: the failing path, or the property missing or unknown there. */
function fieldOf (context: string, e: { instancePath: string, keyword: string, params: Record<string, unknown> }): string {
  const path = e.instancePath.split('/').filter(p => p !== '')
  if (e.keyword === 'required') path.push(String(e.params.missingProperty))
  if (e.keyword === 'additionalProperties') path.push(String(e.params.additionalProperty))
  return [context, ...path].join('.')
}

export function registerErrorReplies (app: FastifyInstance, parts: ErrorParts): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation !== undefined && err.validation.length > 0) {
      parts.refused('invalid_request')
      const first = err.validation[0]
      const field = fieldOf(err.validationContext ?? 'request', first)
      const message = first.keyword === 'additionalProperties' ? 'is not a known field' : (first.message ?? 'is not valid')
      return sendJson(reply, 400, { error: 'bad_request', message: `${field}: ${message}`, field, rule: first.keyword } satisfies ApiError)
    }
    const status = err.statusCode ?? 500
    if (status >= 400 && status < 500) {
      // Fastify's own refusals: a body that is not JSON, too large, of a type not taken.
      parts.refused('invalid_request')
      return sendJson(reply, status, { error: 'bad_request', message: err.message } satisfies ApiError)
    }
    parts.log.error({ err, path: req.url.split('?')[0] }, 'HTTP request failed')
    if (isApiV1(req.url)) return sendJson(reply, 500, { error: 'internal', message: 'failed; the gateway log has the cause' } satisfies ApiError)
    return reply.code(500).header('Cache-Control', 'no-store').type('text/plain').send('failed\n')
  })
  app.setNotFoundHandler((req, reply) => {
    if (isApiV1(req.url)) return sendJson(reply, 404, { error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } satisfies ApiError)
    return reply.code(404).header('Cache-Control', 'no-store').type('text/plain').send('not found\n')
  })
}
