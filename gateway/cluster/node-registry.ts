/**
 * Which nodes of a cluster are alive (docs/DESIGN-NOTES.md, "Cluster nodes: heartbeats in the shared
 * store"): each node writes a heartbeat, its row in the shared store, every `cluster.heartbeatMs`, and marks
 * the row stopped on a clean shutdown. A row not refreshed for STALE_BEATS of its own intervals is stale:
 * the node is probably dead, and the batches it held go to other nodes once their lease runs out.
 *
 * The state is judged by the store, on its own clock, against the interval the node wrote in its row: a
 * reader (`punchline nodes --cluster`, GET /api/v1/cluster/nodes, a peer) needs neither the node's config
 * nor a clock in step with the node's.
 */

import type { NodeBeat, NodeRecord, NodeState, NodeUpstream, UpstreamState } from '../../shared/node-heartbeat.js'

export type { NodeBeat, NodeCounters, NodeRecord, NodeState, NodeUpstream } from '../../shared/node-heartbeat.js'

/** missed intervals after which a node is stale */
export const STALE_BEATS = 3
export const MIN_HEARTBEAT_MS = 100
export const MAX_HEARTBEAT_MS = 600_000
/** longest host, version or broker text kept in a row */
export const MAX_NODE_TEXT = 512

export function nodeState (r: { stoppedAt: number | null, silentMs: number, intervalMs: number }): NodeState {
  if (r.stoppedAt !== null) return 'stopped'
  return r.silentMs > STALE_BEATS * r.intervalMs ? 'stale' : 'alive'
}

/** what a node id may be (and so node-stale's subject, which ?device= names on the console's alarm routes) */
export const NODE_ID_PATTERN = '^[A-Za-z0-9._-]{1,64}$'
const NODE_ID = new RegExp(NODE_ID_PATTERN)

/** Refuses a heartbeat a store should not keep, naming the field and the rule. */
export function checkBeat (b: NodeBeat): void {
  if (!NODE_ID.test(b.nodeId)) throw new RangeError(`nodeId: must be 1 to 64 letters, digits, '.', '_' or '-' (got '${b.nodeId}')`)
  if (!Number.isInteger(b.intervalMs) || b.intervalMs < MIN_HEARTBEAT_MS || b.intervalMs > MAX_HEARTBEAT_MS) {
    throw new RangeError(`intervalMs: must be a whole number from ${MIN_HEARTBEAT_MS} to ${MAX_HEARTBEAT_MS} (got ${b.intervalMs})`)
  }
  for (const [k, v] of Object.entries(b.counts)) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`counts.${k}: must be a whole number, 0 or more (got ${String(v)})`)
  }
  if (b.upstream !== undefined) checkUpstream(b.upstream)
}

/** longest failure class or error text a row keeps (longer is cut, not refused: a beat must not fail on an upstream's words) */
export const MAX_UPSTREAM_ERROR_CHARS = 512

function checkUpstream (u: NodeUpstream): void {
  const times: Array<[string, number | null]> = [['since', u.since], ['lastDeliveredAt', u.lastDeliveredAt], ['lastFailure.at', u.lastFailure?.at ?? null]]
  for (const [k, v] of times) {
    if (v !== null && (!Number.isSafeInteger(v) || v < 0)) throw new RangeError(`upstream.${k}: must be ms since the epoch (got ${String(v)})`)
  }
  const f = u.lastFailure
  if (f === null) return
  if (f.status !== null && (!Number.isInteger(f.status) || f.status < 100 || f.status > 599)) throw new RangeError(`upstream.lastFailure.status: must be an HTTP status from 100 to 599 or null (got ${String(f.status)})`)
}

/** The broker URL(s) as a row may show them: a password in a URL is replaced, the user name kept. */
export function brokerWithoutPassword (urls: string): string {
  return urls.split(',').map(u => {
    try {
      const url = new URL(u.trim())
      if (url.password !== '') url.password = '***'
      return url.toString().replace(/\/$/, '')
    } catch {
      return ''
    }
  }).join(',').slice(0, MAX_NODE_TEXT)
}

/**
 * The nodes a store knows in memory, for a store with one writer (sqlite-cluster-store.ts): one process
 * is the whole cluster there, so its rows live as long as it does.
 */
export class NodeBook {
  readonly #rows = new Map<string, { beat: NodeBeat, lastSeen: number, stoppedAt: number | null }>()

  beat (b: NodeBeat, now: number): void {
    checkBeat(b)
    this.#rows.set(b.nodeId, { beat: { ...b, counts: { ...b.counts } }, lastSeen: now, stoppedAt: b.stopping === true ? now : null })
  }

  list (now: number): NodeRecord[] {
    return [...this.#rows.values()].sort((a, b) => a.beat.nodeId.localeCompare(b.beat.nodeId)).map(r => {
      const { stopping: _, upstream, ...beat } = r.beat
      const silentMs = Math.max(0, now - r.lastSeen)
      return { ...beat, upstream: upstream === undefined ? null : structuredClone(upstream), lastSeen: r.lastSeen, stoppedAt: r.stoppedAt, silentMs, state: nodeState({ stoppedAt: r.stoppedAt, silentMs, intervalMs: beat.intervalMs }) }
    })
  }
}

/** What the node's forwarder did last (shared/node-heartbeat.ts, `UpstreamState`). */
export function upstreamState (u: NodeUpstream | null): UpstreamState {
  if (u === null) return 'none'
  if (u.lastFailure === null) return u.lastDeliveredAt === null ? 'idle' : 'delivering'
  return u.lastDeliveredAt !== null && u.lastDeliveredAt >= u.lastFailure.at ? 'delivering' : 'failing'
}
