/**
 * The alarms of a cluster (docs/DESIGN-NOTES.md, "Alarms for a cluster"), judged by its console from what
 * the shared store says: a pure function of the nodes' heartbeats, the shared outbox's backlog and the open
 * dead letters, or of the error that kept the console from reading them. The backlog and dead-letter alarms
 * are the single box's own functions (alarms.ts), with the same thresholds (alarms.backlogAgeMinutes).
 */
import type { GatewayConfig } from '../../config.js'
import { backlogOld, deadLetters, deviceAlarms, upstreamFailing, type Alarm } from '../../alarms.js'
import type { DeviceHealth } from '../../health.js'
import { formatDuration } from '../../units.js'
import type { ClusterBacklog } from '../cluster-admin.js'
import type { NodeRecord } from '../node-registry.js'

/** what the console read from the shared store for one evaluation */
export interface ClusterReading {
  nodes: readonly NodeRecord[]
  backlog: ClusterBacklog
  deadLetters: Record<string, number>
  /** the devices past a device alarm's threshold (ClusterAdmin.deviceAlarmCandidates); capped: more were */
  devices: { devices: DeviceHealth[], capped: boolean }
}

/** the single box's thresholds (alarms.*), and rules.clockSkewMs for clock-offset */
export type ClusterThresholds = Pick<GatewayConfig['alarms'], 'backlogAgeMinutes' | 'deviceSilentMinutes' | 'upstreamFailingMinutes'> & { clockSkewMs: number }

export function evaluateClusterAlarms (r: ClusterReading | { error: string }, th: ClusterThresholds, now: number): Alarm[] {
  if ('error' in r) return [storeUnreachable(r.error)]
  const out: Alarm[] = []
  const push = (a: Alarm | undefined): void => { if (a !== undefined) out.push(a) }
  push(noNodeAlive(r.nodes, r.backlog))
  for (const n of r.nodes) push(nodeStale(n))
  const age = r.backlog.oldestReceived === null ? null : Math.max(0, now - r.backlog.oldestReceived)
  push(backlogOld({ pendingPunches: r.backlog.pendingPunches, oldestPendingAgeMs: age }, th,
    "the nodes' forwarders have not had it accepted: see the nodes' failed counts (punchline nodes --cluster) and their forwarder logs; nothing is dropped meanwhile"))
  push(deadLetters(r.deadLetters))
  push(clusterUpstreamFailing(r.nodes, r.backlog, th, now))
  for (const d of r.devices.devices) out.push(...deviceAlarms(d, th, th.clockSkewMs, now))
  return out
}

/**
 * The single box's upstream-failing over the forwarders of the alive nodes, as one forwarder: delivered
 * when any of them last delivered, failing with whichever failed last, started when the first started.
 * So it is raised when no node has had a batch accepted for alarms.upstreamFailingMinutes while punches
 * wait (all failing): any node can deliver any batch of the shared outbox, so one node that delivers
 * keeps the punches moving, and one that cannot is seen in its failed count, not as an outage
 * (docs/DESIGN-NOTES.md, "Device alarms and upstream-failing for a cluster").
 */
function clusterUpstreamFailing (nodes: readonly NodeRecord[], backlog: ClusterBacklog, th: ClusterThresholds, now: number): Alarm | undefined {
  const ups = nodes.flatMap(n => n.state === 'alive' && n.upstream !== null ? [n.upstream] : [])
  if (ups.length === 0) return undefined
  const delivered = ups.flatMap(u => u.lastDeliveredAt === null ? [] : [u.lastDeliveredAt])
  const failures = ups.flatMap(u => u.lastFailure === null ? [] : [u.lastFailure])
  const last = failures.reduce<typeof failures[number] | null>((a, b) => (a === null || b.at > a.at ? b : a), null)
  const upstream = {
    since: Math.min(...ups.map(u => u.since)),
    lastDeliveredAt: delivered.length === 0 ? null : Math.max(...delivered),
    lastFailure: last === null ? null : { kind: last.kind, error: last.error, at: last.at }
  }
  return upstreamFailing({ upstream: { configured: true }, backlog, outbox: { failingSince: null, lastError: null } }, th, { upstream }, now)
}

/** The console cannot read the shared store: it cannot tell whether punches are acked or delivered. */
function storeUnreachable (error: string): Alarm {
  return {
    name: 'cluster-store-unreachable',
    severity: 'critical',
    message: `the console cannot read the shared store (${error}): it cannot tell whether the nodes ack and deliver punches; ` +
      'the nodes need the same PostgreSQL to ack punches: check it, and the console\'s cluster.postgres'
  }
}

function noNodeAlive (nodes: readonly NodeRecord[], backlog: ClusterBacklog): Alarm | undefined {
  if (nodes.some(n => n.state === 'alive')) return undefined
  const states = nodes.length === 0 ? 'no node has ever written a heartbeat' : nodes.map(n => `${n.nodeId} ${n.state}`).join(', ')
  return {
    name: 'no-node-alive',
    severity: 'critical',
    message: `no gateway node is alive (${states}): nothing acks punches (the devices keep them in their rings and resend) and nothing forwards the ${backlog.pendingPunches}${backlog.capped ? '+' : ''} waiting; start a node (punchline gateway --cluster)`
  }
}

function nodeStale (n: NodeRecord): Alarm | undefined {
  if (n.state !== 'stale') return undefined
  return {
    name: 'node-stale',
    severity: 'warning',
    message: `node ${n.nodeId} on ${n.host} (pid ${n.pid}) has written no heartbeat for ${formatDuration(n.silentMs)}: probably dead; ` +
      'the batches it held go to other nodes once their lease runs out (cluster.leaseMs) and its devices reconnect to the others; ' +
      `restart it, or if it is gone for good: punchline nodes forget ${n.nodeId} --cluster`,
    subject: n.nodeId
  }
}
