/**
 * Reviews of flagged punches (hr, admin): GET /api/v1/reviews lists punches whose flags ask for a person
 * (store/review-store.ts, REVIEW_FLAGS) with their review's state; POST /api/v1/punches/:id/review confirms
 * or disputes one, once, with a comment. The decision goes upstream (forward/review-feed.ts).
 */
import type { FastifyInstance } from 'fastify'
import { REVIEW_FLAGS, REVIEW_STATUSES, type ReviewDecision, type ReviewStatus, type ReviewStore } from '../../store/review-store.js'
import { sendJson } from '../errors.js'
import { PUNCH } from './punch-routes.js'
import { ERROR, REFUSALS, SECURITY } from './schemas.js'

export const REVIEW_PAGE_MAX = 200
const REVIEW_PAGE_DEFAULT = 50
export const REVIEW_COMMENT_MAX = 500

const REVIEW = {
  type: 'object',
  required: ['punch', 'status', 'decidedBy', 'decidedAt', 'comment'],
  properties: {
    punch: PUNCH,
    status: { type: 'string', enum: REVIEW_STATUSES },
    decidedBy: { type: ['string', 'null'] },
    decidedAt: { type: ['integer', 'null'], description: 'ms since the epoch' },
    comment: { type: ['string', 'null'] }
  }
} as const

export interface ReviewParts {
  store: ReviewStore
  now: () => number
  /** a decision was stored: send it soon */
  decided: () => void
}

export function registerReviewRoutes (app: FastifyInstance, parts: ReviewParts): void {
  app.get('/api/v1/reviews', {
    config: { roles: ['admin', 'hr'] },
    schema: {
      summary: `Punches flagged for review (${REVIEW_FLAGS.join(', ')}), newest first; follow next (as cursor) until it is null`,
      tags: ['reviews'],
      security: SECURITY,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          status: { type: 'string', enum: REVIEW_STATUSES },
          cursor: { type: 'integer', minimum: 1, description: "the previous page's next" },
          limit: { type: 'integer', minimum: 1, maximum: REVIEW_PAGE_MAX, default: REVIEW_PAGE_DEFAULT }
        }
      },
      response: { 200: { type: 'object', required: ['items', 'next'], properties: { items: { type: 'array', items: REVIEW }, next: { type: ['integer', 'null'] } } }, ...REFUSALS }
    }
  }, async (req, reply) => {
    const { status, cursor, limit } = req.query as { status?: ReviewStatus, cursor?: number, limit: number }
    return await sendJson(reply, 200, parts.store.page(status, limit, cursor))
  })

  app.post('/api/v1/punches/:id/review', {
    config: { roles: ['admin', 'hr'] },
    schema: {
      summary: 'Confirm or dispute a flagged punch, once; the decision goes upstream',
      tags: ['reviews'],
      security: SECURITY,
      params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1, description: "the punch's id in /api/v1/punches" } } },
      body: {
        type: 'object',
        required: ['decision', 'comment'],
        additionalProperties: false,
        properties: {
          decision: { type: 'string', enum: ['confirm', 'dispute'] },
          comment: { type: 'string', minLength: 1, maxLength: REVIEW_COMMENT_MAX }
        }
      },
      response: {
        200: REVIEW,
        ...REFUSALS,
        404: { description: 'no such punch, or it is not flagged for review', ...ERROR },
        409: { description: 'decided already: a decision is final', ...ERROR }
      }
    }
  }, async (req, reply) => {
    const { id } = req.params as { id: number }
    const { decision, comment } = req.body as { decision: ReviewDecision, comment: string }
    const r = parts.store.decide(id, decision, comment, { name: req.caller!.name, now: parts.now() })
    if (r.ok) {
      parts.decided()
      return await sendJson(reply, 200, r.review)
    }
    if (r.why === 'decided') return await sendJson(reply, 409, { error: 'decided', message: `punch ${id} is ${r.status} already; a decision is final` })
    const message = r.why === 'not_found' ? `no punch ${id}` : `punch ${id} has none of the flags that ask for a review (${REVIEW_FLAGS.join(', ')})`
    return await sendJson(reply, 404, { error: r.why, message })
  })
}
