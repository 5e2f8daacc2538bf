/**
 * /api/v1/punches (hr, admin): stored punches by badge, person, device, time range and flag, in pages with
 * a stable cursor (store/punch-query.ts). Exports and the per-person day view build on this.
 */
import type { FastifyInstance } from 'fastify'
import { FLAGS } from '../../../shared/flags.js'
import type { PunchFilter, PunchQuery } from '../../store/punch-query.js'
import { sendJson } from '../errors.js'
import { REFUSALS, SECURITY, TIME } from './schemas.js'

export const PUNCH_PAGE_MAX = 1000
const PUNCH_PAGE_DEFAULT = 100

const TEXT = { type: 'string', minLength: 1, maxLength: 128 } as const
const NULLABLE_NUMBER = { type: ['number', 'null'] } as const

export const PUNCH = {
  type: 'object',
  properties: {
    id: { type: 'integer', description: 'the gateway\'s row id: the order punches were stored in' },
    device: { type: 'string' },
    epoch: { type: 'string' },
    seq: { type: 'integer' },
    ts: TIME,
    tz: { type: ['integer', 'null'], description: 'the device\'s UTC offset in minutes' },
    emp: { type: 'string', description: 'the badge or PIN as read' },
    person: { type: ['string', 'null'], description: 'the roster\'s employee for the badge, when mapped' },
    kind: { type: 'string' },
    method: { type: 'string' },
    clock: { type: 'string' },
    lat: NULLABLE_NUMBER,
    lon: NULLABLE_NUMBER,
    acc: NULLABLE_NUMBER,
    manual: { type: ['string', 'null'], description: 'a make-up punch\'s reason' },
    flags: { type: 'array', items: { type: 'string' } },
    received: TIME,
    sourceId: { type: ['string', 'null'], description: 'for a punch from a ZKTeco terminal: its identity from the line\'s content, also its id upstream (docs/ADMS.md)' },
    source: { type: ['object', 'null'], description: 'for a punch from a ZKTeco terminal: its serial number, the line\'s wall time, raw state and verify codes' }
  }
} as const

export function registerPunchRoutes (app: FastifyInstance, punches: PunchQuery): void {
  app.get('/api/v1/punches', {
    config: { roles: ['admin', 'hr'] },
    schema: {
      summary: 'Stored punches, filtered, in id order; follow `next` until it is absent (a page may be short)',
      tags: ['punches'],
      security: SECURITY,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          badge: TEXT,
          person: TEXT,
          device: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
          from: { ...TIME, description: 'punches at or after (ms since the epoch)' },
          to: { ...TIME, description: 'punches before (ms since the epoch)' },
          flag: { type: 'string', enum: FLAGS },
          limit: { type: 'integer', minimum: 1, maximum: PUNCH_PAGE_MAX, default: PUNCH_PAGE_DEFAULT },
          after: { type: 'integer', minimum: 0, description: "the previous page's next" }
        }
      },
      response: { 200: { type: 'object', required: ['punches'], properties: { punches: { type: 'array', items: PUNCH }, next: { type: 'integer' } } }, ...REFUSALS }
    }
  }, async (req, reply) => {
    const { limit, after, ...filter } = req.query as PunchFilter & { limit: number, after?: number }
    return await sendJson(reply, 200, punches.page(filter, limit, after))
  })
}
