/**
 * A cluster's devices on a cluster's console (gateway/cluster/console/; docs/API.md, "A cluster's
 * console"): GET /api/v1/devices in the single box's shape (device-routes.ts), so the console's Devices page
 * serves both. Read from the shared store in one statement: the device registry joined with the statuses
 * the nodes stored (gateway/cluster/device-statuses.ts), a registered device never seen shown as never seen.
 *
 * Read only: adding, removing or rotating a device of a cluster changes the brokers' password files too,
 * which `punchline devices --cluster` and `punchline broker-auth` do (docs/OPERATIONS.md, "Topologies").
 */
import type { FastifyInstance } from 'fastify'
import type { ClusterAdmin } from '../../cluster/cluster-admin.js'
import { clusterDeviceItem } from '../../cluster/device-statuses.js'
import { SiteMap, type SiteConfig } from '../../rules/sites.js'
import { sendJson } from '../errors.js'
import { ANY_ROLE } from './access.js'
import { DEVICE_ITEM } from './device-routes.js'
import { REFUSALS, SECURITY } from './schemas.js'

/** devices one list shows, by id: past it the list says capped */
export const CLUSTER_DEVICES_LIMIT = 10_000

export function registerClusterDeviceRoutes (app: FastifyInstance, parts: { cluster: Pick<ClusterAdmin, 'listDeviceStates'>, sites: Record<string, SiteConfig> }): void {
  const sites = new SiteMap(parts.sites)
  app.get('/api/v1/devices', {
    config: { roles: ANY_ROLE },
    schema: {
      summary: "The cluster's devices with their last status: online, last seen, site, ring fill, oldest unsent punch, clock offset, battery, firmware",
      description: `Roles: admin, hr, viewer. The single box's shape, the first ${CLUSTER_DEVICES_LIMIT} by id: registered devices and devices that sent a status. ` +
        "online is what the device's last status said (its last will says false); lastSeen is when a node received that status, on the node's clock.",
      tags: ['devices'],
      security: SECURITY,
      response: {
        200: {
          type: 'object',
          required: ['items', 'capped'],
          properties: { items: { type: 'array', items: DEVICE_ITEM }, capped: { type: 'boolean', description: `more than ${CLUSTER_DEVICES_LIMIT} devices: the list stops there` } }
        },
        ...REFUSALS
      }
    }
  }, async (_req, reply) => {
    const states = await parts.cluster.listDeviceStates({ limit: CLUSTER_DEVICES_LIMIT + 1 })
    const items = states.slice(0, CLUSTER_DEVICES_LIMIT).map(s => {
      const site = sites.of(s.registered?.id ?? s.seen?.device ?? '').site
      return clusterDeviceItem(s.registered, s.seen, site === '' ? null : site)
    })
    return await sendJson(reply, 200, { items, capped: states.length > CLUSTER_DEVICES_LIMIT })
  })
}
