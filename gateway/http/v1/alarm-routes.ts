/**
 * Alarms with their support level and acknowledgement: GET /api/v1/alarms (every role) and
 * POST /api/v1/alarms/{name}/ack (admin; hr for major and minor ones). An acknowledgement silences that
 * raise (alarm-book.ts) and is audited; the alarm stays listed until its cause clears, except
 * database-moved-aside, which nothing else can clear and which the acknowledgement ends.
 */
import type { FastifyInstance } from 'fastify'
import { ALARM_NAMES } from '../../alarms.js'
import { ALARM_LEVELS } from '../../alarm-level.js'
import type { AuditLog } from '../../store/audit-log.js'
import type { HttpOptions } from '../options.js'
import type { HttpRefusal } from '../refusal.js'
import { sendJson, type ApiError } from '../errors.js'
import { ANY_ROLE } from './access.js'
import { ERROR, REFUSALS, SECURITY, TIME } from './schemas.js'

const item = (names: readonly string[]) => ({
  type: 'object',
  required: ['name', 'severity', 'message', 'raisedAt', 'acked'],
  properties: {
    name: { type: 'string', enum: names },
    device: { type: 'string', description: 'the device it is about; absent for the gateway as a whole' },
    severity: { type: 'string', enum: ALARM_LEVELS },
    message: { type: 'string', description: 'what is wrong and what to do' },
    raisedAt: TIME,
    acked: {
      type: ['object', 'null'],
      required: ['by', 'at'],
      properties: { by: { type: 'string' }, at: TIME },
      description: 'who acknowledged this raise and when; null while nobody has'
    }
  }
} as const)

export interface AlarmRouteParts {
  alarms: HttpOptions['alarms']
  /** the alarms this process raises (ALARM_NAMES unless told: a cluster's console raises CLUSTER_ALARM_NAMES) */
  names?: readonly string[]
  /** what ?device= may be: a device id unless told (a cluster's console: a node id too, which may hold '.') */
  subjectPattern?: string
  audit: AuditLog
  refused: (reason: HttpRefusal) => void
  now: () => number
}

export function registerAlarmRoutes (app: FastifyInstance, parts: AlarmRouteParts): void {
  const names = parts.names ?? ALARM_NAMES
  const ITEM = item(names)
  app.get('/api/v1/alarms', {
    config: { roles: ANY_ROLE },
    schema: {
      summary: 'Alarms raised now: severity critical, major or minor, when raised, who acknowledged them',
      tags: ['alarms'],
      security: SECURITY,
      response: { 200: { type: 'object', required: ['evaluatedAt', 'items'], properties: { evaluatedAt: { type: ['integer', 'null'], description: 'when the alarms were last evaluated (ms since the epoch)' }, items: { type: 'array', items: ITEM } } }, ...REFUSALS }
    }
  }, async (_req, reply) => await sendJson(reply, 200, parts.alarms.listed()))

  app.post('/api/v1/alarms/:name/ack', {
    config: { roles: ['admin', 'hr'] },
    schema: {
      summary: 'Acknowledge a raised alarm (every device\'s, or one with ?device=): silences this raise; it stays listed until its cause clears',
      description: 'admin for every alarm; hr for major and minor ones. database-moved-aside ends when acknowledged (as punchline alarms ack does).',
      tags: ['alarms'],
      security: SECURITY,
      params: { type: 'object', required: ['name'], properties: { name: { type: 'string', enum: names } } },
      querystring: { type: 'object', additionalProperties: false, properties: { device: { type: 'string', pattern: parts.subjectPattern ?? '^[A-Za-z0-9_-]{1,64}$' } } },
      response: {
        200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: ITEM } } },
        ...REFUSALS,
        404: { description: 'no such alarm is raised now', ...ERROR }
      }
    }
  }, async (req, reply) => {
    const { name } = req.params as { name: string }
    const { device } = req.query as { device?: string }
    const caller = req.caller!
    const raised = parts.alarms.find(name, device)
    const what = device === undefined ? name : `${name} for ${device}`
    if (raised.length === 0) return await sendJson(reply, 404, { error: 'not_found', message: `no ${what} alarm is raised now` } satisfies ApiError)
    if (caller.role !== 'admin' && raised.some(a => a.severity === 'critical')) {
      parts.refused('forbidden')
      return await sendJson(reply, 403, { error: 'forbidden', message: `role ${caller.role} may not acknowledge a critical alarm (${what}); it needs admin` } satisfies ApiError)
    }
    const items = parts.alarms.acknowledge(name, device, caller.name)
    parts.audit.record({ at: parts.now(), actor: caller.name, action: 'alarm.ack', target: device === undefined ? name : `${name}/${device}`, detail: items.map(a => `${a.device ?? 'gateway'} ${a.severity}`).join(', ') })
    return await sendJson(reply, 200, { items })
  })
}
