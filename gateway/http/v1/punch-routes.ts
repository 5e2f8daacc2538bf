/**
 * /api/v1/punches (hr, admin): stored punches by badge, person, device, site, time range and flag, in pages
 * with a stable cursor (store/punch-query.ts). The exports (export-routes.ts) take the same filter.
 */
import type { FastifyInstance } from 'fastify'
import type { PunchFilter, PunchQuery } from '../../store/punch-query.js'
import { sendJson } from '../errors.js'
import type { HttpRefusal } from '../refusal.js'
import { PUNCH_FILTER_PROPERTIES, refuseUnknownSite } from './punch-filter.js'
import { REFUSALS, SECURITY, TIME } from './schemas.js'

export const PUNCH_PAGE_MAX = 1000
const PUNCH_PAGE_DEFAULT = 100

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
    source: { type: ['object', 'null'], description: 'for a punch from a ZKTeco terminal: its serial number, the line\'s wall time, raw state and verify codes' },
    site: { type: 'string', description: "the config's site the device belongs to ('' for none)" },
    delivered: { type: 'boolean', description: 'the upstream has accepted it' }
  }
} as const

export interface PunchRouteParts {
  punches: PunchQuery
  /** the site ids of the gateway's config */
  sites: readonly string[]
  refused: (reason: HttpRefusal) => void
}

export function registerPunchRoutes (app: FastifyInstance, parts: PunchRouteParts): void {
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
          ...PUNCH_FILTER_PROPERTIES,
          limit: { type: 'integer', minimum: 1, maximum: PUNCH_PAGE_MAX, default: PUNCH_PAGE_DEFAULT },
          after: { type: 'integer', minimum: 0, description: "the previous page's next" }
        }
      },
      response: { 200: { type: 'object', required: ['punches'], properties: { punches: { type: 'array', items: PUNCH }, next: { type: 'integer' } } }, ...REFUSALS }
    }
  }, async (req, reply) => {
    const { limit, after, ...filter } = req.query as PunchFilter & { limit: number, after?: number }
    if (refuseUnknownSite(filter, parts.sites, reply, parts.refused)) return await reply
    return await sendJson(reply, 200, parts.punches.page(filter, limit, after))
  })
}
