/**
 * /api/v1/operators and /api/v1/tokens (admin only): add an operator (the reply shows the first password,
 * once), list, disable (which ends their sessions); the same for integrations' API tokens. Each change
 * writes an audit row naming the caller (store/operator-store.ts).
 */
import type { FastifyInstance } from 'fastify'
import { OperatorExists, type Actor, type OperatorStore, type Role } from '../../store/operator-store.js'
import { sendJson } from '../errors.js'
import { ERROR, NAME, REFUSALS, ROLE, SECURITY, TIME } from './schemas.js'

const ADMIN: readonly Role[] = ['admin']

const NEW = { type: 'object', required: ['name', 'role'], additionalProperties: false, properties: { name: NAME, role: ROLE } } as const
const BY_NAME = { type: 'object', required: ['name'], properties: { name: NAME } } as const
const DISABLED = { type: ['integer', 'null'], description: 'when it was disabled (ms since the epoch), null while enabled' } as const
const OPERATOR = { type: 'object', required: ['name', 'role', 'created', 'disabled'], properties: { name: { type: 'string' }, role: ROLE, created: TIME, disabled: DISABLED } } as const
const TOKEN = { type: 'object', required: ['name', 'role', 'created', 'createdBy', 'disabled'], properties: { name: { type: 'string' }, role: ROLE, created: TIME, createdBy: { type: 'string' }, disabled: DISABLED } } as const

/** One kind of named credential: its path, what it is called, its row's schema and its store's calls. */
interface Kind {
  path: string
  tag: string
  /** `operator`, `token` */
  noun: string
  /** the reply's field that holds the new secret */
  secret: 'password' | 'token'
  row: object
  list: () => unknown[]
  add: (name: string, role: Role, by: Actor) => Promise<string>
  disable: (name: string, by: Actor) => boolean
}

function registerKind (app: FastifyInstance, kind: Kind, now: () => number): void {
  const actor = (name: string): Actor => ({ name, now: now() })
  app.get(kind.path, {
    config: { roles: ADMIN },
    schema: { summary: `List ${kind.tag} (never a secret)`, tags: [kind.tag], security: SECURITY, response: { 200: { type: 'object', required: [kind.tag], properties: { [kind.tag]: { type: 'array', items: kind.row } } }, ...REFUSALS } }
  }, async (_req, reply) => await sendJson(reply, 200, { [kind.tag]: kind.list() }))

  app.post(kind.path, {
    config: { roles: ADMIN },
    schema: {
      summary: `Add an ${kind.noun}; the reply holds its ${kind.secret}, shown this once`,
      tags: [kind.tag],
      security: SECURITY,
      body: NEW,
      response: {
        201: { type: 'object', required: ['name', 'role', kind.secret], properties: { name: { type: 'string' }, role: ROLE, [kind.secret]: { type: 'string' } } },
        ...REFUSALS,
        409: { description: 'the name is taken', ...ERROR }
      }
    }
  }, async (req, reply) => {
    const { name, role } = req.body as { name: string, role: Role }
    try {
      const secret = await kind.add(name, role, actor(req.caller!.name))
      return await sendJson(reply, 201, { name, role, [kind.secret]: secret })
    } catch (err) {
      if (err instanceof OperatorExists) return await sendJson(reply, 409, { error: 'exists', message: err.message })
      throw err
    }
  })

  app.post(`${kind.path}/:name/disable`, {
    config: { roles: ADMIN },
    schema: {
      summary: `Disable an ${kind.noun}${kind.noun === 'operator' ? ' and end their sessions' : ''}`,
      tags: [kind.tag],
      security: SECURITY,
      params: BY_NAME,
      response: { 200: kind.row, ...REFUSALS, 404: { description: 'no such name enabled', ...ERROR } }
    }
  }, async (req, reply) => {
    const { name } = req.params as { name: string }
    if (!kind.disable(name, actor(req.caller!.name))) return await sendJson(reply, 404, { error: 'not_found', message: `no enabled ${kind.noun} ${name}` })
    return await sendJson(reply, 200, kind.list().find(r => (r as { name: string }).name === name))
  })
}

export function registerOperatorRoutes (app: FastifyInstance, parts: { operators: OperatorStore, now: () => number }): void {
  const store = parts.operators
  registerKind(app, {
    path: '/api/v1/operators',
    tag: 'operators',
    noun: 'operator',
    secret: 'password',
    row: OPERATOR,
    list: () => store.list(),
    add: async (name, role, by) => await store.add(name, role, by),
    disable: (name, by) => store.disable(name, by)
  }, parts.now)
  registerKind(app, {
    path: '/api/v1/tokens',
    tag: 'tokens',
    noun: 'API token',
    secret: 'token',
    row: TOKEN,
    list: () => store.listTokens(),
    add: async (name, role, by) => store.addToken(name, role, by),
    disable: (name, by) => store.disableToken(name, by)
  }, parts.now)
}
