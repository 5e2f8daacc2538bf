/** GET /api/v1/history (every role): the samples behind the console's charts (history/history-sampler.ts). */
import type { FastifyInstance } from 'fastify'
import { HISTORY_KEEP_HOURS, type HistorySampler } from '../../history/history-sampler.js'
import { sendJson } from '../errors.js'
import { ANY_ROLE } from './access.js'
import { REFUSALS, SECURITY, TIME } from './schemas.js'

const COUNT = { type: 'integer', minimum: 0 } as const

export function registerHistoryRoutes (app: FastifyInstance, history: HistorySampler): void {
  app.get('/api/v1/history', {
    config: { roles: ANY_ROLE },
    schema: {
      summary: 'The backlog, punches delivered and received, and devices online, one point per history.sampleSeconds, oldest first',
      tags: ['devices'],
      security: SECURITY,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { hours: { type: 'integer', minimum: 1, maximum: HISTORY_KEEP_HOURS, default: 24, description: 'how far back' } }
      },
      response: {
        200: {
          type: 'object',
          required: ['sampleSeconds', 'points'],
          properties: {
            sampleSeconds: { type: 'number', description: 'the interval between points (delivered and received count per interval)' },
            points: {
              type: 'array',
              items: {
                type: 'object',
                required: ['t', 'backlog', 'delivered', 'received', 'devicesOnline'],
                properties: { t: TIME, backlog: COUNT, delivered: COUNT, received: COUNT, devicesOnline: COUNT }
              }
            }
          }
        },
        ...REFUSALS
      }
    }
  }, async (req, reply) => {
    const { hours } = req.query as { hours: number }
    return await sendJson(reply, 200, { sampleSeconds: history.intervalMs / 1000, points: history.points(hours) })
  })
}
