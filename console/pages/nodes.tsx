/**
 * A cluster's nodes (GET /api/v1/cluster/nodes), shown by a cluster's console: each node's heartbeat state
 * (alive, stale: silent for three of its intervals, stopped), when it was last heard from, and its counts;
 * above them what waits in the shared outbox (GET /api/v1/backlog), as the Fleet page shows a box's, and
 * below them the cluster's alarms (GET /api/v1/alarms, which the console evaluates from the shared store)
 * with the Fleet page's list and its acknowledgement. Polled: the nodes send the console no events.
 */
import { api } from '../api/client.js'
import { readAlarms, type Backlog, type Who } from '../api/shapes.js'
// The API's own shape: the console reads the nodes as the store lists them (docs/API.md, Cluster console).
import type { NodeRecord, NodeState, NodeUpstream, UpstreamState } from '../../shared/node-heartbeat.js'
import { Failure } from '../ui/failure.js'
import { dateTime } from '../ui/format.js'
import { useLoad } from '../ui/use-load.js'
import { usePolling } from '../ui/use-polling.js'
import { Alarms, BacklogTiles } from './fleet.js'

const POLL_MS = 5000

const STATE_CLASS: Record<NodeState, string> = { alive: 'state on', stale: 'state stale', stopped: 'state off' }

/** Seconds since the last heartbeat as the store counts them: the browser's clock may not agree with it. */
function silence (ms: number): string {
  const s = Math.round(ms / 1000)
  if (s < 120) return `${s} s ago`
  if (s < 7200) return `${Math.round(s / 60)} min ago`
  return `${Math.round(s / 3600)} h ago`
}

/** gateway/cluster/node-registry.ts's upstreamState: the console takes only types from shared/. */
function upstreamState (u: NodeUpstream | null): UpstreamState {
  if (u === null) return 'none'
  if (u.lastFailure === null) return u.lastDeliveredAt === null ? 'idle' : 'delivering'
  return u.lastDeliveredAt !== null && u.lastDeliveredAt >= u.lastFailure.at ? 'delivering' : 'failing'
}

/**
 * The node's forwarder: what it did last and when (the time as the node wrote it, shown in the
 * browser's zone), the failure's status and words in the cell's title.
 */
function Upstream ({ node }: { node: NodeRecord }) {
  const u = node.upstream
  const state = upstreamState(u)
  if (u === null || state === 'none') return <td data-upstream='none'>—</td>
  if (state === 'idle') return <td data-upstream='idle'>idle</td>
  if (state === 'delivering') return <td data-upstream='delivering'>delivered {dateTime(u.lastDeliveredAt ?? 0)}</td>
  const f = u.lastFailure
  return (
    <td data-upstream='failing' title={f === null ? undefined : f.error}>
      <span class='state stale'>failing</span>{f === null ? '' : ` ${f.status === null ? f.kind : `HTTP ${f.status}`} ${dateTime(f.at)}`}
    </td>
  )
}

export function NodesPage ({ who }: { who: Who }) {
  const nodes = useLoad(async () => await api<NodeRecord[]>('GET', '/cluster/nodes'))
  const backlog = useLoad(async () => await api<Backlog>('GET', '/backlog'))
  const alarms = useLoad(async () => await api<Parameters<typeof readAlarms>[0]>('GET', '/alarms').then(readAlarms))
  usePolling(nodes.reload, POLL_MS)
  usePolling(backlog.reload, POLL_MS)
  usePolling(alarms.reload, POLL_MS)
  const rows = nodes.data ?? []
  const count = (s: NodeState): number => rows.filter(n => n.state === s).length

  return (
    <section>
      <h1>Nodes</h1>
      <p class='hint'>The cluster's gateway nodes, from the heartbeats they write to the shared store. A node silent for three of its heartbeat intervals is stale: probably dead; the batches it held go to the other nodes once their lease runs out.</p>
      <Failure error={backlog.error} />
      {backlog.data !== undefined && <BacklogTiles backlog={backlog.data} />}
      <Failure error={nodes.error} />
      {nodes.data !== undefined && rows.length === 0 && <p class='hint'>No node has written a heartbeat yet.</p>}
      {rows.length > 0 && (
        <>
          <p class='summary' data-summary>{count('alive')} alive, {count('stale')} stale, {count('stopped')} stopped</p>
          <div class='scroll'>
            <table class='grid' aria-label='nodes'>
              <thead><tr><th>node</th><th>state</th><th>last seen</th><th>host</th><th>pid</th><th>version</th><th>started</th><th>acked</th><th>unacked</th><th>delivered</th><th>failed</th><th>leases lost</th><th>queued rows</th><th>batches held</th><th>upstream</th></tr></thead>
              <tbody>
                {rows.map(n => (
                  <tr key={n.nodeId} data-node={n.nodeId} data-state={n.state}>
                    <td>{n.nodeId}</td>
                    <td><span class={STATE_CLASS[n.state]}>{n.state}</span></td>
                    <td title={dateTime(n.lastSeen)}>{silence(n.silentMs)}</td>
                    <td title={n.broker}>{n.host}</td>
                    <td>{n.pid}</td>
                    <td>{n.version === '' ? '—' : n.version}</td>
                    <td>{dateTime(n.startedAt)}</td>
                    <td>{n.counts.acked}</td>
                    <td>{n.counts.unacked}</td>
                    <td>{n.counts.punchesDelivered}</td>
                    <td>{n.counts.failed}</td>
                    <td>{n.counts.leaseLost}</td>
                    <td>{n.counts.queuedRows}</td>
                    <td>{n.counts.claimsHeld}</td>
                    <Upstream node={n} />
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <h2>Alarms</h2>
      <Failure error={alarms.error} />
      {alarms.data !== undefined && <Alarms alarms={alarms.data} who={who} reload={alarms.reload} />}
    </section>
  )
}
