/** /api/v1/audit (hr, admin): the audit log, newest first, in pages with a stable cursor. */
import type { FastifyInstance } from 'fastify'
import type { AuditLog } from '../../store/audit-log.js'
import { sendJson } from '../errors.js'
import { REFUSALS, SECURITY, TIME } from './schemas.js'

export const AUDIT_PAGE_MAX = 500
const AUDIT_PAGE_DEFAULT = 100

const ENTRY = {
  type: 'object',
  required: ['id', 'at', 'actor', 'action', 'target', 'detail'],
  properties: {
    id: { type: 'integer' },
    at: TIME,
    actor: { type: 'string', description: 'an operator, token:<name> for an API token, site-token, or cli:<user> for the command line' },
    action: { type: 'string', description: 'operator.add, operator.disable, operator.password, operator.password-reset, deadletters.replay, token.add, token.disable, session.login, session.logout, device.add, device.remove, device.secret, device.sync' },
    target: { type: ['string', 'null'] },
    detail: { type: ['string', 'null'] }
  }
} as const

export function registerAuditRoutes (app: FastifyInstance, audit: AuditLog): void {
  app.get('/api/v1/audit', {
    config: { roles: ['admin', 'hr'] },
    schema: {
      summary: 'The audit log, newest first',
      tags: ['audit'],
      security: SECURITY,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          limit: { type: 'integer', minimum: 1, maximum: AUDIT_PAGE_MAX, default: AUDIT_PAGE_DEFAULT },
          before: { type: 'integer', minimum: 1, description: "the previous page's next: entries older than it" }
        }
      },
      response: { 200: { type: 'object', required: ['entries'], properties: { entries: { type: 'array', items: ENTRY }, next: { type: 'integer' } } }, ...REFUSALS }
    }
  }, async (req, reply) => {
    const { limit, before } = req.query as { limit: number, before?: number }
    return await sendJson(reply, 200, audit.page(limit, before))
  })
}
