/**
 * /api/v1/devices: the fleet with its live state for every role (device-live.ts), and for admins the
 * registry's changes, as `punchline devices add|remove` makes them (same rules, same store), each with
 * its audit row in the same transaction: add a device (its secret shown once), remove one (its stored
 * punches stay and still go upstream; its connection is closed), give one a new secret (shown once; the
 * connection made with the old one is closed), and "sync now" (the commands a device gets when it comes
 * online: device-sessions.ts, syncNow).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { AuditLog } from '../../store/audit-log.js'
import { newDeviceSecret } from '../../store/device-store.js'
import type { HttpOptions } from '../options.js'
import { sendJson } from '../errors.js'
import { ANY_ROLE } from './access.js'
import { ERROR, REFUSALS, SECURITY, TIME } from './schemas.js'

/** The shortest secret taken, as `punchline devices add --secret` (gateway/cli/devices.ts). */
export const MIN_DEVICE_SECRET_LENGTH = 8
const DEVICE_ID = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'letters, digits, _ and -, at most 64' } as const
const SECRET = { type: 'string', minLength: MIN_DEVICE_SECRET_LENGTH, maxLength: 256, description: `at least ${MIN_DEVICE_SECRET_LENGTH} characters; left out, the gateway makes one` } as const
const NULLABLE_NUMBER = { type: ['number', 'null'] } as const
const ID_PARAMS = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: DEVICE_ID } } as const

export const DEVICE_ITEM = {
  type: 'object',
  required: ['id', 'online', 'lastSeen', 'site', 'ring', 'clockOffsetMs', 'battery', 'firmware'],
  properties: {
    id: { type: 'string' },
    online: { type: 'boolean', description: "connected to this gateway's broker now" },
    lastSeen: { type: ['integer', 'null'], description: 'when it last connected or sent a status (ms since the epoch)' },
    site: { type: ['string', 'null'], description: 'the site of the config file (`sites`) it belongs to' },
    ring: {
      type: ['object', 'null'],
      description: 'its ring as its last status said: punches not yet acknowledged, slots, fill = pending / capacity, the oldest pending punch time',
      properties: { pending: { type: 'integer' }, capacity: { type: 'integer' }, fill: { type: 'number' }, oldestPendingTs: { type: ['integer', 'null'] } }
    },
    clockOffsetMs: { ...NULLABLE_NUMBER, description: 'the correction it applied over its own clock' },
    clockSynced: { type: ['boolean', 'null'] },
    battery: { ...NULLABLE_NUMBER, description: '0..1' },
    firmware: { type: ['string', 'null'] },
    epoch: { type: ['string', 'null'] },
    created: TIME,
    hasSecret: { type: 'boolean', description: 'false for a device that only ever connected anonymously' },
    status: { type: ['object', 'null'], description: 'its last status as sent (docs/PROTOCOL.md, "Status")', additionalProperties: true }
  }
} as const

const NOT_FOUND = { description: 'no such device', ...ERROR } as const
const CHANGED = {
  type: 'object',
  required: ['id', 'secret'],
  properties: { id: { type: 'string' }, secret: { type: 'string', description: 'shown this once: give it to the device (its config `secret`)' }, disconnected: { type: 'boolean' } }
} as const

type Fleet = HttpOptions['fleet']

export function registerDeviceRoutes (app: FastifyInstance, parts: { fleet: Fleet, audit: AuditLog, now: () => number }): void {
  const { fleet, audit, now } = parts
  const devices = fleet.live.devices
  const actor = (req: FastifyRequest): string => req.caller!.name
  const notFound = (id: string): { error: string, message: string } => ({ error: 'not_found', message: `no device ${id}` })

  app.get('/api/v1/devices', {
    config: { roles: ANY_ROLE },
    schema: {
      summary: 'Devices with their live state: online, last seen, site, ring fill, oldest unsent punch, clock offset, battery, firmware',
      tags: ['devices'],
      security: SECURITY,
      response: { 200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: DEVICE_ITEM } } }, ...REFUSALS }
    }
  }, async (_req, reply) => await sendJson(reply, 200, { items: devices.list() }))

  app.get('/api/v1/devices/:id', {
    config: { roles: ANY_ROLE },
    schema: { summary: 'One device with its live state', tags: ['devices'], security: SECURITY, params: ID_PARAMS, response: { 200: DEVICE_ITEM, ...REFUSALS, 404: NOT_FOUND } }
  }, async (req, reply) => {
    const { id } = req.params as { id: string }
    const item = devices.get(id)
    return await (item === undefined ? sendJson(reply, 404, notFound(id)) : sendJson(reply, 200, item))
  })

  app.post('/api/v1/devices', {
    config: { roles: ['admin'] },
    schema: {
      summary: 'Register a device; answers its secret, this once (as punchline devices add)',
      tags: ['devices'],
      security: SECURITY,
      body: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: DEVICE_ID, secret: SECRET } },
      response: { 201: CHANGED, ...REFUSALS, 409: { description: 'the device has a secret already: give it a new one with POST /api/v1/devices/{id}/secret', ...ERROR } }
    }
  }, async (req, reply) => {
    const { id, secret = newDeviceSecret() } = req.body as { id: string, secret?: string }
    const at = now()
    const done = await fleet.store.setSecret(id, secret, at, 'new', () => audit.record({ at, actor: actor(req), action: 'device.add', target: id, detail: null }))
    if (done === 'exists') return await sendJson(reply, 409, { error: 'exists', message: `device ${id} is registered already; POST /api/v1/devices/${id}/secret gives it a new secret` })
    devices.changed(id, 'added')
    return await sendJson(reply, 201, { id, secret })
  })

  app.delete('/api/v1/devices/:id', {
    config: { roles: ['admin'] },
    schema: {
      summary: 'Remove a device: its connection is closed and it can no longer log in; its stored punches stay and still go upstream',
      tags: ['devices'],
      security: SECURITY,
      params: ID_PARAMS,
      response: { 200: { type: 'object', properties: { id: { type: 'string' }, removed: { type: 'boolean' }, disconnected: { type: 'boolean' } } }, ...REFUSALS, 404: NOT_FOUND }
    }
  }, async (req, reply) => {
    const { id } = req.params as { id: string }
    const at = now()
    const removed = fleet.store.remove(id, () => audit.record({ at, actor: actor(req), action: 'device.remove', target: id, detail: null }))
    if (!removed) return await sendJson(reply, 404, notFound(id))
    const disconnected = devices.disconnect(id)
    devices.changed(id, 'removed')
    return await sendJson(reply, 200, { id, removed, disconnected })
  })

  app.post('/api/v1/devices/:id/secret', {
    config: { roles: ['admin'] },
    schema: {
      summary: 'Give a device a new secret, answered this once; the connection made with the old one is closed and the old one refused',
      tags: ['devices'],
      security: SECURITY,
      params: ID_PARAMS,
      body: { type: ['object', 'null'], additionalProperties: false, properties: { secret: SECRET } },
      response: { 200: CHANGED, ...REFUSALS, 404: NOT_FOUND }
    }
  }, async (req, reply) => {
    const { id } = req.params as { id: string }
    const secret = (req.body as { secret?: string } | null | undefined)?.secret ?? newDeviceSecret()
    const at = now()
    const done = await fleet.store.setSecret(id, secret, at, 'existing', () => audit.record({ at, actor: actor(req), action: 'device.secret', target: id, detail: null }))
    if (done === 'missing') return await sendJson(reply, 404, notFound(id))
    const disconnected = devices.disconnect(id)
    devices.changed(id, 'secret')
    return await sendJson(reply, 200, { id, secret, disconnected })
  })

  app.post('/api/v1/devices/:id/sync', {
    config: { roles: ['admin'] },
    schema: {
      summary: '"Sync now": sends a connected device the time (it answers with its status and sends its ring at once) and, after a restore, the resend it still owes',
      tags: ['devices'],
      security: SECURITY,
      params: ID_PARAMS,
      response: {
        202: { type: 'object', properties: { id: { type: 'string' }, sent: { type: 'array', items: { type: 'string' } } } },
        ...REFUSALS,
        404: NOT_FOUND,
        409: { description: 'the device is not connected to this gateway now', ...ERROR }
      }
    }
  }, async (req, reply) => {
    const { id } = req.params as { id: string }
    if (!devices.isOnline(id)) {
      if (devices.get(id) === undefined) return await sendJson(reply, 404, notFound(id))
      return await sendJson(reply, 409, { error: 'not_online', message: `device ${id} is not connected to this gateway: a command reaches only a connected device (it syncs by itself when it reconnects)` })
    }
    const at = now()
    audit.record({ at, actor: actor(req), action: 'device.sync', target: id, detail: null })
    fleet.syncNow(id)
    return await sendJson(reply, 202, { id, sent: ['time'] })
  })
}
