/**
 * /api/v1/makeups (hr, admin): make-up punch requests, their list, and the one decision each takes
 * (approve or reject, with a comment). The site's rules (`sites.<id>.makeup`, gateway/makeup/policy.ts)
 * refuse a request with a 422 naming the rule, or let it through marked for hr, as the site chooses.
 * Store and audit: gateway/store/makeup-store.ts.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import { LIMITS } from '../../../shared/punch.js'
import { MAKEUP_STATUSES, type Decision, type MakeupStatus, type MakeupStore } from '../../store/makeup-store.js'
import { MAKEUP_DEFAULTS, judgeLimit, judgeMakeup, parseOffsetTime, type MakeupPolicy, type MakeupRule } from '../../makeup/policy.js'
import type { HttpRefusal } from '../refusal.js'
import { sendJson, type ApiError } from '../errors.js'
import { ERROR, REFUSALS, SECURITY, TIME } from './schemas.js'

export const MAKEUP_PAGE_MAX = 200
const MAKEUP_PAGE_DEFAULT = 50
/** An evidence note: a sentence or two, what hr reads beside the reason. */
export const MAKEUP_EVIDENCE_MAX = 1000
/** A decision's comment. */
export const MAKEUP_COMMENT_MAX = 500

const OFFSET_TIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2})$'
const EMP = { type: 'string', minLength: 1, maxLength: LIMITS.maxEmpLength, pattern: '^\\S+$', description: 'the employee, as the upstream knows them' } as const
const COMMENT = { type: 'string', minLength: 1, maxLength: MAKEUP_COMMENT_MAX } as const
const NULLABLE_TEXT = { type: ['string', 'null'] } as const

export const MAKEUP = {
  type: 'object',
  required: ['id', 'emp', 'ts', 'kind', 'reason', 'evidence', 'status', 'requestedBy', 'requestedAt', 'decidedBy', 'decidedAt', 'comment', 'punchId'],
  properties: {
    id: { type: 'integer' },
    emp: { type: 'string' },
    ts: { type: 'string', description: 'ISO 8601 with the offset it was asked with' },
    kind: { type: 'string', enum: ['in', 'out'] },
    reason: { type: 'string' },
    evidence: NULLABLE_TEXT,
    status: { type: 'string', enum: MAKEUP_STATUSES },
    requestedBy: { type: 'string' },
    requestedAt: TIME,
    decidedBy: NULLABLE_TEXT,
    decidedAt: { type: ['integer', 'null'], description: 'ms since the epoch' },
    comment: NULLABLE_TEXT,
    punchId: { type: ['string', 'null'], description: 'the upstream id (device:epoch:seq) of the punch an approval made' },
    device: NULLABLE_TEXT,
    site: { type: 'string', description: "the site whose rules applied ('' for none)" },
    exceptions: { type: 'array', items: { type: 'string', enum: ['over-limit', 'outside-window'] }, description: 'site rules it was let through beyond, for hr to weigh' },
    attachment: {
      type: ['object', 'null'],
      description: 'the evidence file, when one was added (GET /api/v1/makeups/{id}/attachment serves it)',
      properties: { type: { type: 'string' }, size: { type: 'integer' }, sha256: { type: 'string' } }
    }
  }
} as const

const BY_ID = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const

export interface MakeupParts {
  store: MakeupStore
  /** the site a device belongs to ('' for none) */
  siteOf: (device: string) => string
  /** a site's make-up rules; undefined when no such site is configured */
  policyOf: (site: string) => MakeupPolicy | undefined
  now: () => number
  refused: (reason: HttpRefusal) => void
  /** a make-up punch was stored: forward it soon */
  decided: () => void
}

interface NewMakeup {
  emp: string
  ts: string
  kind: 'in' | 'out'
  reason: string
  evidence?: string
  device?: string
  site?: string
}

const REFUSAL_OF: Record<MakeupRule, HttpRefusal> = {
  'over-limit': 'makeup_over_limit',
  'outside-window': 'makeup_outside_window',
  'beyond-max-window': 'makeup_beyond_max_window',
  future: 'makeup_future'
}

export function registerMakeupRoutes (app: FastifyInstance, parts: MakeupParts): void {
  const bad = async (reply: FastifyReply, field: string, rule: string, message: string): Promise<FastifyReply> => {
    parts.refused('invalid_request')
    return await sendJson(reply, 400, { error: 'bad_request', message: `${field}: ${message}`, field, rule } satisfies ApiError)
  }
  const ruleBroken = async (reply: FastifyReply, v: { rule: MakeupRule, field: string, message: string }): Promise<FastifyReply> => {
    parts.refused(REFUSAL_OF[v.rule])
    return await sendJson(reply, 422, { error: 'makeup_refused', message: v.message, field: v.field, rule: v.rule } satisfies ApiError)
  }
  const decided = async (reply: FastifyReply, d: Decision, id: number): Promise<FastifyReply> => {
    if (d.ok) return await sendJson(reply, 200, d.makeup)
    if (d.why === 'not_found') return await sendJson(reply, 404, { error: 'not_found', message: `no make-up ${id}` })
    if (d.why === 'decided') return await sendJson(reply, 409, { error: 'decided', message: `make-up ${id} is ${d.status} already; a decision is final` })
    return await ruleBroken(reply, d.verdict)
  }

  app.post('/api/v1/makeups', {
    config: { roles: ['admin', 'hr'] },
    schema: {
      summary: 'Ask for a make-up punch; it enters pending (or is refused by the site\'s rules: 422 naming the rule)',
      tags: ['make-ups'],
      security: SECURITY,
      body: {
        type: 'object',
        required: ['emp', 'ts', 'kind', 'reason'],
        additionalProperties: false,
        properties: {
          emp: EMP,
          ts: { type: 'string', pattern: OFFSET_TIME_PATTERN, description: "the punch's time, ISO 8601 with its offset: 2026-12-07T08:59:00+08:00" },
          kind: { type: 'string', enum: ['in', 'out'] },
          reason: { type: 'string', minLength: 1, maxLength: LIMITS.maxManualReasonLength },
          evidence: { type: 'string', minLength: 1, maxLength: MAKEUP_EVIDENCE_MAX, description: 'a note: who saw them, a ticket number' },
          device: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'the terminal the punch was missed at; its site\'s rules apply' },
          site: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'the site whose rules apply, when no device is named' }
        }
      },
      response: { 201: MAKEUP, ...REFUSALS, 422: { description: "the site's rules refuse it: rule is over-limit, outside-window, beyond-max-window or future", ...ERROR } }
    }
  }, async (req, reply) => {
    const body = req.body as NewMakeup
    const at = parseOffsetTime(body.ts)
    if (at === undefined) return await bad(reply, 'body.ts', 'format', 'is not a date and time that exists (ISO 8601 with an offset of -12:00..+14:00)')
    const site = body.site ?? (body.device === undefined ? '' : parts.siteOf(body.device))
    if (body.site !== undefined && body.device !== undefined && parts.siteOf(body.device) !== body.site) {
      return await bad(reply, 'body.site', 'device', `device ${body.device} is not in site ${body.site}`)
    }
    const policy = parts.policyOf(site)
    if (policy === undefined) return await bad(reply, 'body.site', 'enum', `no site ${site} is configured`)
    const now = parts.now()
    const r = parts.store.request(
      { emp: body.emp, ts: at.ts, tz: at.tz, month: at.month, kind: body.kind, reason: body.reason, evidence: body.evidence, device: body.device, site },
      { name: req.caller!.name, now },
      (count) => judgeMakeup(policy, at.ts, now, count)
    )
    if (!r.ok) return await ruleBroken(reply, r)
    return await sendJson(reply, 201, r.makeup)
  })

  app.get('/api/v1/makeups', {
    config: { roles: ['admin', 'hr'] },
    schema: {
      summary: 'Make-up requests, newest first; follow next (as cursor) until it is null',
      tags: ['make-ups'],
      security: SECURITY,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          status: { type: 'string', enum: MAKEUP_STATUSES },
          emp: EMP,
          cursor: { type: 'integer', minimum: 1, description: "the previous page's next" },
          limit: { type: 'integer', minimum: 1, maximum: MAKEUP_PAGE_MAX, default: MAKEUP_PAGE_DEFAULT }
        }
      },
      response: { 200: { type: 'object', required: ['items', 'next'], properties: { items: { type: 'array', items: MAKEUP }, next: { type: ['integer', 'null'] } } }, ...REFUSALS }
    }
  }, async (req, reply) => {
    const { limit, cursor, status, emp } = req.query as { limit: number, cursor?: number, status?: MakeupStatus, emp?: string }
    return await sendJson(reply, 200, parts.store.page({ status, emp }, limit, cursor))
  })

  app.get('/api/v1/makeups/:id', {
    config: { roles: ['admin', 'hr'] },
    schema: { summary: 'One make-up request', tags: ['make-ups'], security: SECURITY, params: BY_ID, response: { 200: MAKEUP, ...REFUSALS, 404: { description: 'no such request', ...ERROR } } }
  }, async (req, reply) => {
    const { id } = req.params as { id: number }
    const m = parts.store.get(id)
    if (m === undefined) return await sendJson(reply, 404, { error: 'not_found', message: `no make-up ${id}` })
    return await sendJson(reply, 200, m)
  })

  const decisionResponses = {
    200: MAKEUP,
    ...REFUSALS,
    404: { description: 'no such request', ...ERROR },
    409: { description: 'decided already: a decision is final', ...ERROR }
  }

  app.post('/api/v1/makeups/:id/approve', {
    config: { roles: ['admin', 'hr'] },
    // The comment is optional, so a POST with no body at all approves too.
    preValidation: async (req) => { req.body ??= {} },
    schema: {
      summary: 'Approve: the punch goes upstream flagged manual, with the approver',
      tags: ['make-ups'],
      security: SECURITY,
      params: BY_ID,
      body: { type: 'object', additionalProperties: false, properties: { comment: COMMENT } },
      response: { ...decisionResponses, 422: { description: "the site's monthly limit, counting approved make-ups, refuses it (rule over-limit)", ...ERROR } }
    }
  }, async (req, reply) => {
    const { id } = req.params as { id: number }
    const { comment } = (req.body ?? {}) as { comment?: string }
    const d = parts.store.approve(id, { name: req.caller!.name, now: parts.now() }, comment, (approved, site) => {
      // A site removed from the config since the request: the defaults' limit applies.
      return judgeLimit(parts.policyOf(site) ?? MAKEUP_DEFAULTS, approved)
    })
    if (d.ok) parts.decided()
    return await decided(reply, d, id)
  })

  app.post('/api/v1/makeups/:id/reject', {
    config: { roles: ['admin', 'hr'] },
    schema: {
      summary: 'Reject, with the reason why; the punch never goes upstream',
      tags: ['make-ups'],
      security: SECURITY,
      params: BY_ID,
      body: { type: 'object', required: ['comment'], additionalProperties: false, properties: { comment: COMMENT } },
      response: decisionResponses
    }
  }, async (req, reply) => {
    const { id } = req.params as { id: number }
    const { comment } = req.body as { comment: string }
    return await decided(reply, parts.store.reject(id, { name: req.caller!.name, now: parts.now() }, comment), id)
  })
}
