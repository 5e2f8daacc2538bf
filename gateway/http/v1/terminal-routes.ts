/**
 * /api/v1/terminals: the ZKTeco terminals that push over ADMS (docs/ADMS.md), for every role, and for
 * admins what `punchline terminals` does: register one by serial number and zone, change its zone,
 * remove it (its stored punches stay and still go upstream), and queue a command for its next heartbeat
 * (its clock, INFO, reloading its options). Each change is audited in its own transaction. HR and admins
 * also read what terminals sent that could not be read: the bad lines by body, with line, field and rule.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Db } from '../../store/db.js'
import type { AuditLog } from '../../store/audit-log.js'
import { SERIAL_PATTERN, type AdmsStore, type Terminal } from '../../store/adms-store.js'
import { commandText, type CommandKind } from '../../adms/device-commands.js'
import { instantToWallTime, isKnownZone } from '../../adms/local-time.js'
import { sendJson } from '../errors.js'
import type { HttpRefusal } from '../refusal.js'
import { ANY_ROLE } from './access.js'
import { ERROR, REFUSALS, SECURITY, TIME } from './schemas.js'

const SN = { type: 'string', pattern: SERIAL_PATTERN.source, description: "the terminal's serial number" } as const
const ZONE = { type: 'string', minLength: 1, maxLength: 64, description: "the IANA zone its clock shows ('Asia/Ho_Chi_Minh'); not an offset" } as const
const SN_PARAMS = { type: 'object', required: ['sn'], additionalProperties: false, properties: { sn: SN } } as const
const NOT_FOUND = { description: 'no such terminal', ...ERROR } as const
/** A terminal heard from within this many heartbeats is online. */
const ONLINE_HEARTBEATS = 3

const TERMINAL_ITEM = {
  type: 'object',
  required: ['sn', 'device', 'zone', 'online', 'lastSeen'],
  properties: {
    sn: { type: 'string' },
    device: { type: 'string', description: 'the device id its punches carry' },
    zone: { type: 'string' },
    online: { type: 'boolean', description: `heard from within ${ONLINE_HEARTBEATS} heartbeats (adms.delaySeconds)` },
    lastSeen: { type: ['integer', 'null'] },
    address: { type: ['string', 'null'] },
    firmware: { type: ['string', 'null'] },
    clockSet: { type: ['integer', 'null'], description: 'when it last confirmed a clock the gateway set; null: never (its punches are flagged clock-unsynced)' },
    resumesAt: { type: ['string', 'null'], description: 'the ATTLOGStamp its next handshake gets; null: everything it holds' },
    created: TIME
  }
} as const

const COMMAND = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    kind: { type: 'string' },
    text: { type: 'string' },
    queued: TIME,
    sent: { type: ['integer', 'null'] },
    done: { type: ['integer', 'null'] },
    code: { type: ['integer', 'null'], description: "the terminal's return code: 0 done, negative a failure" },
    result: { type: ['string', 'null'] }
  }
} as const

export interface TerminalRouteParts {
  db: Db
  store: AdmsStore
  audit: AuditLog
  now: () => number
  /** adms.delaySeconds: how often terminals are told to call */
  heartbeatSeconds: number
  refused: (reason: HttpRefusal) => void
}

export function registerTerminalRoutes (app: FastifyInstance, parts: TerminalRouteParts): void {
  const { db, store, audit, now } = parts
  const actor = (req: FastifyRequest): string => req.caller!.name
  const notFound = (sn: string): { error: string, message: string } => ({ error: 'not_found', message: `no terminal ${sn}` })
  // Refused and counted as a request that breaks its schema is (errors.ts): the schema can say a zone's
  // shape, only the time zone database whether it is one.
  const badZone = (zone: string): { error: string, message: string, field: string, rule: string } => {
    parts.refused('invalid_request')
    return { error: 'bad_request', message: `body.zone: ${zone} is not an IANA time zone name this gateway knows (not an offset)`, field: 'body.zone', rule: 'zone' }
  }
  const item = (t: Terminal): Record<string, unknown> => ({
    sn: t.sn,
    device: t.device,
    zone: t.zone,
    online: t.lastSeen !== null && now() - t.lastSeen <= ONLINE_HEARTBEATS * parts.heartbeatSeconds * 1000,
    lastSeen: t.lastSeen,
    address: t.address,
    firmware: t.firmware,
    clockSet: t.clockSet,
    resumesAt: t.attlogStamp,
    created: t.created
  })
  // The change and its audit row commit together, or neither does.
  const audited = <T>(req: FastifyRequest, action: string, target: string, detail: string | null, change: () => T): T =>
    db.transaction(() => {
      const out = change()
      audit.record({ at: now(), actor: actor(req), action, target, detail })
      return out
    }).immediate()

  app.get('/api/v1/terminals', {
    config: { roles: ANY_ROLE },
    schema: {
      summary: 'ZKTeco terminals (ADMS): zone, online, last seen, firmware, whether the gateway set their clock',
      tags: ['terminals'],
      security: SECURITY,
      response: { 200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: TERMINAL_ITEM } } }, ...REFUSALS }
    }
  }, async (_req, reply) => await sendJson(reply, 200, { items: store.list().map(item) }))

  app.get('/api/v1/terminals/:sn', {
    config: { roles: ANY_ROLE },
    schema: { summary: 'One terminal', tags: ['terminals'], security: SECURITY, params: SN_PARAMS, response: { 200: TERMINAL_ITEM, ...REFUSALS, 404: NOT_FOUND } }
  }, async (req, reply) => {
    const { sn } = req.params as { sn: string }
    const t = store.get(sn)
    return await (t === undefined ? sendJson(reply, 404, notFound(sn)) : sendJson(reply, 200, item(t)))
  })

  app.post('/api/v1/terminals', {
    config: { roles: ['admin'] },
    schema: {
      summary: 'Register a terminal by serial number and zone (as punchline terminals add)',
      tags: ['terminals'],
      security: SECURITY,
      body: {
        type: 'object',
        required: ['sn', 'zone'],
        additionalProperties: false,
        properties: { sn: SN, zone: ZONE, device: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'the device id its punches carry; zk-<sn> when left out' } }
      },
      response: { 201: TERMINAL_ITEM, ...REFUSALS, 409: { description: 'the serial number or the device id is taken', ...ERROR } }
    }
  }, async (req, reply) => {
    const { sn, zone, device = `zk-${sn}` } = req.body as { sn: string, zone: string, device?: string }
    if (!isKnownZone(zone)) return await sendJson(reply, 400, badZone(zone))
    if (store.get(sn) !== undefined) return await sendJson(reply, 409, { error: 'exists', message: `terminal ${sn} is registered already` })
    try {
      audited(req, 'terminal.add', sn, JSON.stringify({ device, zone }), () => store.add(sn, device, zone, now()))
    } catch (err) {
      return await sendJson(reply, 409, { error: 'exists', message: (err as Error).message.includes('UNIQUE') ? `device id ${device} is another terminal's` : (err as Error).message })
    }
    return await sendJson(reply, 201, item(store.get(sn)!))
  })

  app.delete('/api/v1/terminals/:sn', {
    config: { roles: ['admin'] },
    schema: {
      summary: 'Forget a terminal: its requests are refused from now on; its stored punches stay and still go upstream',
      tags: ['terminals'],
      security: SECURITY,
      params: SN_PARAMS,
      response: { 200: { type: 'object', properties: { sn: { type: 'string' }, removed: { type: 'boolean' } } }, ...REFUSALS, 404: NOT_FOUND }
    }
  }, async (req, reply) => {
    const { sn } = req.params as { sn: string }
    if (store.get(sn) === undefined) return await sendJson(reply, 404, notFound(sn))
    const removed = audited(req, 'terminal.remove', sn, null, () => store.remove(sn))
    return await sendJson(reply, 200, { sn, removed })
  })

  app.put('/api/v1/terminals/:sn/zone', {
    config: { roles: ['admin'] },
    schema: {
      summary: "Change a terminal's zone: its next lines are read in it, and a clock command in it goes out at its next heartbeat",
      tags: ['terminals'],
      security: SECURITY,
      params: SN_PARAMS,
      body: { type: 'object', required: ['zone'], additionalProperties: false, properties: { zone: ZONE } },
      response: { 200: TERMINAL_ITEM, ...REFUSALS, 404: NOT_FOUND }
    }
  }, async (req, reply) => {
    const { sn } = req.params as { sn: string }
    const { zone } = req.body as { zone: string }
    if (!isKnownZone(zone)) return await sendJson(reply, 400, badZone(zone))
    if (store.get(sn) === undefined) return await sendJson(reply, 404, notFound(sn))
    audited(req, 'terminal.zone', sn, zone, () => {
      store.setZone(sn, zone)
      store.queueCommand(sn, 'set-time', commandText('set-time', instantToWallTime(now(), zone)), now())
    })
    return await sendJson(reply, 200, item(store.get(sn)!))
  })

  app.post('/api/v1/terminals/:sn/commands', {
    config: { roles: ['admin'] },
    schema: {
      summary: 'Queue a command for the terminal\'s next heartbeat: set its clock (in its zone), ask its INFO, or make it reload its options',
      tags: ['terminals'],
      security: SECURITY,
      params: SN_PARAMS,
      body: { type: 'object', required: ['command'], additionalProperties: false, properties: { command: { type: 'string', enum: ['set-time', 'info', 'reload-options'] } } },
      response: { 202: { type: 'object', properties: { id: { type: 'integer' }, text: { type: 'string' } } }, ...REFUSALS, 404: NOT_FOUND }
    }
  }, async (req, reply) => {
    const { sn } = req.params as { sn: string }
    const { command } = req.body as { command: CommandKind }
    const t = store.get(sn)
    if (t === undefined) return await sendJson(reply, 404, notFound(sn))
    const text = commandText(command, command === 'set-time' ? instantToWallTime(now(), t.zone) : undefined)
    const id = audited(req, 'terminal.command', sn, text, () => store.queueCommand(sn, command, text, now()))
    return await sendJson(reply, 202, { id, text })
  })

  app.get('/api/v1/terminals/:sn/commands', {
    config: { roles: ['admin'] },
    schema: {
      summary: 'The terminal\'s last 100 commands, newest first, with what it answered',
      tags: ['terminals'],
      security: SECURITY,
      params: SN_PARAMS,
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: COMMAND } } }, ...REFUSALS, 404: NOT_FOUND }
    }
  }, async (req, reply) => {
    const { sn } = req.params as { sn: string }
    if (store.get(sn) === undefined) return await sendJson(reply, 404, notFound(sn))
    return await sendJson(reply, 200, { items: store.commands(sn) })
  })

  app.get('/api/v1/terminals/:sn/problems', {
    config: { roles: ['admin', 'hr'] },
    schema: {
      summary: 'Lines the terminal sent that could not be read, newest body first: each with its line number, field and rule, and the line as sent',
      tags: ['terminals'],
      security: SECURITY,
      params: SN_PARAMS,
      querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } } },
      response: {
        200: {
          type: 'object',
          properties: {
            items: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  body: { type: 'integer', description: 'the kept body they came in' },
                  received: TIME,
                  problems: { type: 'array', items: { type: 'object', properties: { line: { type: 'integer' }, field: { type: 'string' }, rule: { type: 'string' }, raw: { type: 'string' } } } }
                }
              }
            }
          }
        },
        ...REFUSALS,
        404: NOT_FOUND
      }
    }
  }, async (req, reply) => {
    const { sn } = req.params as { sn: string }
    const { limit } = req.query as { limit: number }
    if (store.get(sn) === undefined) return await sendJson(reply, 404, notFound(sn))
    return await sendJson(reply, 200, { items: store.problems(sn, limit) })
  })
}
