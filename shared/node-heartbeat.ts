/**
 * A cluster node's heartbeat as the shared store keeps it and GET /api/v1/cluster/nodes answers it: the
 * shapes only, for the gateway (gateway/cluster/node-registry.ts, which judges the states) and the console.
 */

/** what a node's row carries besides its identity: the counts it logs every `cluster.statsSeconds` */
export interface NodeCounters {
  /** device batches answered with an ack */
  acked: number
  /** device batches left without an ack (store unreachable, queue full): the devices resend them */
  unacked: number
  punchesDelivered: number
  /** delivery attempts that failed */
  failed: number
  /** deliveries abandoned because their lease ran out */
  leaseLost: number
  /** punch rows waiting for the store or being committed */
  queuedRows: number
  /** outbox batches this node holds for delivery now */
  claimsHeld: number
}

/**
 * A node's forwarder as its heartbeat reports it, for a cluster's upstream-failing alarm
 * (gateway/cluster/console/cluster-alarms.ts). Times are ms on the node's clock.
 */
export interface NodeUpstream {
  /** when the node's forwarder started: "no delivery" is never counted from before it */
  since: number
  /** the last batch the upstream accepted from this node, null when none since it started */
  lastDeliveredAt: number | null
  /** the last attempt that failed, null when none since it started */
  lastFailure: {
    at: number
    /** the sink's class: retry, config, split or park */
    kind: string
    /** the upstream's HTTP status, null when it gave none (a timeout, a refused connection) */
    status: number | null
    error: string
  } | null
}

/** One heartbeat, as a node writes it. */
export interface NodeBeat {
  nodeId: string
  host: string
  pid: number
  /** punchline's version on the node */
  version: string
  /** the broker URL(s) the node takes device batches from, without any password */
  broker: string
  /** when the node started, ms since epoch */
  startedAt: number
  /** how often the node writes its heartbeat: the reader's yardstick for stale */
  intervalMs: number
  counts: NodeCounters
  /** its forwarder's last delivery and failure; absent when the node has no upstream */
  upstream?: NodeUpstream
  /** the node stops cleanly: its last beat */
  stopping?: boolean
}

export type NodeState = 'alive' | 'stale' | 'stopped'

/** A node's row as the store reads it back. */
export interface NodeRecord extends Omit<NodeBeat, 'stopping' | 'upstream'> {
  /** its forwarder's state as its last beat said, null when it has no upstream */
  upstream: NodeUpstream | null
  state: NodeState
  /** the last heartbeat, ms since epoch on the store's clock */
  lastSeen: number
  /** when it marked itself stopped, or null */
  stoppedAt: number | null
  /** ms since the last heartbeat, on the store's clock */
  silentMs: number
}

/**
 * What a node's forwarder did last, from its heartbeat: `none` (no upstream configured), `idle` (nothing
 * tried since it started), `delivering` (its last outcome was a batch accepted) or `failing` (an attempt
 * failed after its last accepted batch). One node failing is not the cluster's upstream-failing alarm,
 * which needs every alive node failing. Judged by `upstreamState` (gateway/cluster/node-registry.ts) and,
 * since the console takes only types from here, by the Nodes page's own copy of its three lines.
 */
export type UpstreamState = 'none' | 'idle' | 'delivering' | 'failing'
