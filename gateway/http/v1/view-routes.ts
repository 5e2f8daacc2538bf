/**
 * The gateway's read views under /api/v1, each with the roles that may read it: the fleet and its health
 * for every role; dead letters (they hold badge numbers and punch times) for hr and admin. Alarms have
 * routes of their own (alarm-routes.ts).
 */
import type { FastifyInstance } from 'fastify'
import type { Role } from '../../store/operator-store.js'
import type { JsonView } from '../options.js'
import { sendJson } from '../errors.js'
import { ANY_ROLE } from './access.js'
import { REFUSALS, SECURITY } from './schemas.js'

interface ViewRoute { summary: string, roles: readonly Role[] }

/** By the view's name in the legacy table (`/api/<name>`); /api/v1/devices has its own routes (device-routes.ts). */
export const V1_VIEWS: Record<string, ViewRoute> = {
  backlog: { summary: 'What waits for the upstream', roles: ANY_ROLE },
  watermarks: { summary: 'Per device, what the upstream has accepted', roles: ANY_ROLE },
  health: { summary: 'The health snapshot (punchline report)', roles: ANY_ROLE },
  'dead-letters': { summary: 'Punches the upstream refused or nobody maps yet', roles: ['admin', 'hr'] }
}

export function registerViewRoutes (app: FastifyInstance, views: Record<string, JsonView>): void {
  for (const [name, route] of Object.entries(V1_VIEWS)) {
    const view = views[`/api/${name}`]
    if (view === undefined) continue
    app.get(`/api/v1/${name}`, {
      config: { roles: route.roles },
      schema: {
        summary: route.summary,
        description: `Roles: ${route.roles.join(', ')}. The same JSON as the legacy /api/${name}.`,
        tags: ['views'],
        security: SECURITY,
        response: { 200: { description: 'the view, as JSON' }, ...REFUSALS }
      }
    }, async (_req, reply) => await sendJson(reply, 200, view()))
  }
}
