/**
 * `punchline nodes --cluster --config node.json [--json]`: the nodes of a cluster as their heartbeats in
 * the shared store show them (gateway/cluster/node-registry.ts): alive, stale (no heartbeat for three of
 * its intervals: probably dead, its leases run out after cluster.leaseMs) or stopped, with their counts.
 * `punchline nodes forget NODE_ID --cluster`: removes the row of a node gone for good. A single box is one
 * process and has no such list.
 */
import { defineCommand } from '../../shared/cli.js'
import { upstreamState, type NodeRecord } from '../cluster/node-registry.js'
import type { ClusterBacklog } from '../cluster/cluster-admin.js'
import { withClusterStore } from './with-cluster-store.js'

export const NODES_COMMAND = defineCommand({
  usage: [
    'punchline nodes [list] --cluster [--config] [--json]',
    'punchline nodes forget NODE_ID --cluster [--config]   (a node gone for good: stale or stopped)'
  ],
  flags: {
    config: { type: 'string', value: 'FILE' },
    json: { type: 'boolean' },
    // the nodes' heartbeats in the shared PostgreSQL store (cluster.postgres of --config)
    cluster: { type: 'boolean' }
  },
  positionals: true
})
export const NODES_USAGE = NODES_COMMAND.usage

export async function runNodes (argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = NODES_COMMAND.parse(argv)
  if (values.cluster !== true) throw new Error('nodes: lists a cluster\'s nodes; give --cluster and the node\'s --config (a single box is one process: see /healthz)')
  const [verb = 'list', ...rest] = positionals
  if (verb === 'forget') return await forget(rest, values, out)
  if (verb !== 'list' || rest.length > 0) throw new Error('usage:\n' + NODES_USAGE)
  if (values.json === true) {
    out(JSON.stringify(await withClusterStore(values, async (s) => await s.listNodes())))
    return 0
  }
  const [nodes, backlog] = await withClusterStore(values, async (s) => [await s.listNodes(), await s.backlog()] as const)
  out(formatNodes(nodes) + '\n' + formatBacklog(backlog))
  return 0
}

async function forget (ids: string[], values: { config?: string }, out: (line: string) => void): Promise<number> {
  if (ids.length !== 1) throw new Error('nodes forget: give one node id')
  const id = ids[0]
  const outcome = await withClusterStore(values, async (s) => await s.forgetNode(id))
  if (outcome === 'alive') throw new Error(`nodes forget: node '${id}' is alive (its heartbeat is recent); stop it first, or wait until it is stale`)
  if (outcome === 'unknown') throw new Error(`nodes forget: no node '${id}' (punchline nodes --cluster lists them)`)
  out(`forgot node ${id}; it shows again if it writes a heartbeat`)
  return 0
}

/** the shared outbox under the table: what the nodes have yet to deliver */
export function formatBacklog (b: ClusterBacklog): string {
  const plus = b.capped ? '+' : ''
  const oldest = b.oldestReceived === null ? '' : `, the oldest stored ${new Date(b.oldestReceived).toISOString()}`
  return `outbox: ${b.pendingPunches}${plus} punches waiting for the upstream in ${b.batches}${plus} batches${oldest}; ${b.deadLetters} dead letters`
}

export function formatNodes (nodes: readonly NodeRecord[], now = Date.now()): string {
  if (nodes.length === 0) return 'no node has written a heartbeat yet'
  const head = ['NODE', 'STATE', 'LAST SEEN', 'HOST', 'PID', 'VERSION', 'ACKED', 'UNACKED', 'DELIVERED', 'FAILED', 'LEASES LOST', 'QUEUED', 'CLAIMS', 'UPSTREAM']
  const lines = nodes.map(n => [
    n.nodeId, n.state, `${ago(n.silentMs)} ago`, n.host, String(n.pid), n.version === '' ? '-' : n.version,
    String(n.counts.acked), String(n.counts.unacked), String(n.counts.punchesDelivered), String(n.counts.failed),
    String(n.counts.leaseLost), String(n.counts.queuedRows), String(n.counts.claimsHeld), upstreamCell(n, now)
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map(l => l[i].length)))
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()
  const count = (s: string): number => nodes.filter(n => n.state === s).length
  return [fmt(head), ...lines.map(fmt), `${count('alive')} alive, ${count('stale')} stale, ${count('stopped')} stopped (stale: no heartbeat for 3 of its intervals; its leases run out after cluster.leaseMs)`].join('\n')
}

/** The node's forwarder in a word and a time: the node's clock against this one's (nodes keep NTP time). */
function upstreamCell (n: NodeRecord, now: number): string {
  const u = n.upstream
  const state = upstreamState(u)
  if (u === null || state === 'idle') return state === 'none' ? '-' : 'idle'
  if (state === 'delivering') return `delivered ${ago(Math.max(0, now - (u.lastDeliveredAt ?? now)))} ago`
  const f = u.lastFailure
  return f === null ? 'failing' : `failing (${f.status === null ? f.kind : `HTTP ${f.status}`}) ${ago(Math.max(0, now - f.at))} ago`
}

function ago (ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`
  return `${Math.round(ms / 3_600_000)} h`
}
