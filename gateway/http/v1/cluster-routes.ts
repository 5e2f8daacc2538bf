/**
 * What a cluster's console serves from the shared store (gateway/cluster/console/; docs/API.md, "A
 * cluster's console"): GET /api/v1/cluster/nodes, every node with its heartbeat's state and counts, and GET
 * /api/v1/backlog, what waits in the shared outbox, for every role; and the cluster's dead letters on the
 * single box's own paths and shapes (GET /api/v1/dead-letters, POST
 * /api/v1/dead-letters/replay, hr and admin), so the console's Dead letters page serves both.
 *
 * The replay is in PostgreSQL and its audit row in the console's SQLite: not one transaction. The audit row
 * follows a replay that succeeded; a replay that failed is answered 500 and leaves no row.
 */
import type { FastifyInstance } from 'fastify'
import type { ClusterAdmin } from '../../cluster/cluster-admin.js'
import type { AuditLog } from '../../store/audit-log.js'
import { sendJson } from '../errors.js'
import { ANY_ROLE } from './access.js'
import { REPLAY_BODY, REPLAY_REPLY, REPLAY_SUMMARY, replayOf } from './dead-letter-routes.js'
import { REFUSALS, SECURITY, TIME } from './schemas.js'

/** dead letters one list shows, as the single box's view */
export const CLUSTER_DEAD_LETTERS_LIMIT = 1000

const COUNT = { type: 'integer', minimum: 0 } as const

const NODE = {
  type: 'object',
  required: ['nodeId', 'state', 'host', 'pid', 'version', 'broker', 'startedAt', 'intervalMs', 'lastSeen', 'stoppedAt', 'silentMs', 'counts', 'upstream'],
  properties: {
    nodeId: { type: 'string' },
    state: { type: 'string', enum: ['alive', 'stale', 'stopped'], description: 'stale: no heartbeat for 3 of its intervals (probably dead; the batches it held go to other nodes after cluster.leaseMs)' },
    host: { type: 'string' },
    pid: { type: 'integer' },
    version: { type: 'string', description: "punchline's version on the node" },
    broker: { type: 'string', description: 'the broker URL(s) the node takes device batches from, any password replaced by ***' },
    startedAt: TIME,
    intervalMs: { type: 'integer', description: 'how often the node writes its heartbeat (cluster.heartbeatMs)' },
    lastSeen: { ...TIME, description: 'its last heartbeat, on the shared store\'s clock' },
    stoppedAt: { ...TIME, nullable: true, description: 'when it stopped cleanly, or null' },
    silentMs: { type: 'integer', description: 'ms since its last heartbeat' },
    counts: {
      type: 'object',
      required: ['acked', 'unacked', 'punchesDelivered', 'failed', 'leaseLost', 'queuedRows', 'claimsHeld'],
      properties: {
        acked: { ...COUNT, description: 'device batches acked' },
        unacked: { ...COUNT, description: 'device batches left unacked (the devices resend them)' },
        punchesDelivered: COUNT,
        failed: { ...COUNT, description: 'delivery attempts that failed' },
        leaseLost: { ...COUNT, description: 'deliveries abandoned because their lease ran out' },
        queuedRows: { ...COUNT, description: 'punch rows waiting for the store' },
        claimsHeld: { ...COUNT, description: 'outbox batches the node holds for delivery' }
      }
    },
    upstream: {
      type: 'object',
      nullable: true,
      description: "its forwarder as its last heartbeat said (times on the node's clock); null when it has no upstream",
      required: ['since', 'lastDeliveredAt', 'lastFailure'],
      properties: {
        since: { ...TIME, description: 'when its forwarder started' },
        lastDeliveredAt: { ...TIME, nullable: true, description: 'the last batch the upstream accepted from it, null when none since it started' },
        lastFailure: {
          type: 'object',
          nullable: true,
          description: 'its last failed attempt, null when none since it started',
          required: ['at', 'kind', 'status', 'error'],
          properties: {
            at: TIME,
            kind: { type: 'string', description: 'retry, config, split or park, as the single box classes failures' },
            status: { type: 'integer', nullable: true, description: "the upstream's HTTP status, null when none (a timeout, a refused connection)" },
            error: { type: 'string' }
          }
        }
      }
    }
  }
} as const

export function registerClusterRoutes (app: FastifyInstance, parts: { cluster: Pick<ClusterAdmin, 'listNodes' | 'listDeadLetters' | 'replayDeadLetters' | 'backlog'>, audit: AuditLog, now: () => number }): void {
  app.get('/api/v1/cluster/nodes', {
    config: { roles: ANY_ROLE },
    schema: {
      summary: "The cluster's nodes, by node id, each with its heartbeat's state and counts",
      tags: ['cluster'],
      security: SECURITY,
      response: { 200: { type: 'array', items: NODE }, ...REFUSALS }
    }
  }, async (_req, reply) => await sendJson(reply, 200, await parts.cluster.listNodes()))

  app.get('/api/v1/backlog', {
    config: { roles: ANY_ROLE },
    schema: {
      summary: 'What waits in the shared outbox for the upstream',
      description: 'Roles: admin, hr, viewer. The single box\'s backlog shape, plus capped: the counts stop at a million (a floor then).',
      tags: ['cluster'],
      security: SECURITY,
      response: {
        200: {
          type: 'object',
          required: ['batches', 'pendingPunches', 'oldestReceived', 'deadLetters', 'capped'],
          properties: {
            batches: { ...COUNT, description: 'outbox batches formed and not yet delivered' },
            pendingPunches: { ...COUNT, description: 'stored punches the upstream has not accepted (dead letters not included)' },
            oldestReceived: { ...TIME, nullable: true, description: 'when the oldest of them was stored, or null' },
            deadLetters: { ...COUNT, description: 'open dead letters' },
            capped: { type: 'boolean', description: 'a count reached its cap and stopped there' }
          }
        },
        ...REFUSALS
      }
    }
  }, async (_req, reply) => await sendJson(reply, 200, await parts.cluster.backlog()))

  app.get('/api/v1/dead-letters', {
    config: { roles: ['admin', 'hr'] },
    schema: {
      summary: "The cluster's dead letters: punches the upstream refused or nobody maps yet",
      description: `Roles: admin, hr. The oldest ${CLUSTER_DEAD_LETTERS_LIMIT}, in the single box's shape.`,
      tags: ['dead letters'],
      security: SECURITY,
      response: { 200: { description: 'the dead letters, as JSON' }, ...REFUSALS }
    }
  }, async (_req, reply) => await sendJson(reply, 200, await parts.cluster.listDeadLetters({ limit: CLUSTER_DEAD_LETTERS_LIMIT })))

  app.post('/api/v1/dead-letters/replay', {
    config: { roles: ['admin', 'hr'] },
    schema: { summary: REPLAY_SUMMARY, tags: ['dead letters'], security: SECURITY, body: REPLAY_BODY, response: { 200: REPLAY_REPLY, ...REFUSALS } }
  }, async (req, reply) => {
    const { which, target } = replayOf(req.body)
    const replayed = await parts.cluster.replayDeadLetters(which)
    parts.audit.record({ at: parts.now(), actor: req.caller!.name, action: 'deadletters.replay', target, detail: `${replayed} replayed in the shared store` })
    return await sendJson(reply, 200, { replayed })
  })
}
