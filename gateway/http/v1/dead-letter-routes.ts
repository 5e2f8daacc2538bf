/**
 * POST /api/v1/dead-letters/replay (hr, admin): sends dead letters again once their cause is fixed, as
 * `punchline deadletters replay` does: all of them, those waiting for the roster, or chosen punch row ids.
 * The replay and its audit row are one transaction.
 */
import type { FastifyInstance } from 'fastify'
import type { Db } from '../../store/db.js'
import type { AuditLog } from '../../store/audit-log.js'
import type { HttpOptions } from '../options.js'
import { sendJson } from '../errors.js'
import { REFUSALS, SECURITY } from './schemas.js'

/** Row ids one request may name; more at once is `all` or `unmapped`. */
export const REPLAY_IDS_MAX = 1000

type Which = { all: true } | { unmapped: true } | { ids: number[] }

/** What a replay names, as the single box's and a cluster console's routes take it. */
export const REPLAY_BODY = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  properties: {
    all: { type: 'boolean', enum: [true] },
    unmapped: { type: 'boolean', enum: [true], description: 'those that waited for the roster to map their person' },
    ids: { type: 'array', minItems: 1, maxItems: REPLAY_IDS_MAX, items: { type: 'integer', minimum: 1 } }
  }
} as const

export const REPLAY_SUMMARY = 'Send dead letters again: {"all":true}, {"unmapped":true} or {"ids":[punch row ids]}'
export const REPLAY_REPLY = { type: 'object', required: ['replayed'], properties: { replayed: { type: 'integer', description: 'how many were open and are sent again' } } } as const

/** The replay a body names, and how the audit log names it. */
export function replayOf (body: unknown): { which: 'all' | 'unmapped' | number[], target: string } {
  const b = body as Which
  const which = 'all' in b ? 'all' as const : 'unmapped' in b ? 'unmapped' as const : b.ids
  return { which, target: typeof which === 'string' ? which : `ids ${which.join(',')}` }
}

export function registerDeadLetterRoutes (app: FastifyInstance, parts: { db: Db, audit: AuditLog, replay: HttpOptions['replayDeadLetters'], now: () => number }): void {
  app.post('/api/v1/dead-letters/replay', {
    config: { roles: ['admin', 'hr'] },
    schema: {
      summary: REPLAY_SUMMARY,
      tags: ['dead letters'],
      security: SECURITY,
      body: REPLAY_BODY,
      response: { 200: REPLAY_REPLY, ...REFUSALS }
    }
  }, async (req, reply) => {
    const { which, target } = replayOf(req.body)
    const now = parts.now()
    const replayed = parts.db.transaction(() => {
      const n = parts.replay(which, now)
      parts.audit.record({ at: now, actor: req.caller!.name, action: 'deadletters.replay', target, detail: `${n} replayed` })
      return n
    }).immediate()
    return await sendJson(reply, 200, { replayed })
  })
}
