/**
 * What the cluster bench (bench/cluster.ts) measures, as plain JSON: ingest and drain through 1, 2 and 3
 * `punchline gateway --cluster` nodes on one Mosquitto and one PostgreSQL, beside raw `pg` multi-row
 * inserts into the same schema in the same run. Rendered by bench/cluster-render.ts. Values that could
 * not be read are null, never NaN, so a file read back renders the same.
 */
import type { LoadShape } from './load-run.js'

export interface ClusterShape {
  /** the devices' load: each waits for the node's ack of one batch before sending the next (window 1) */
  ingest: LoadShape
  /** punches in the outbox backlog the nodes deliver */
  drainPunches: number
  /** punches per device in that backlog */
  drainPerDevice: number
  /** node counts measured, in order */
  nodes: number[]
  /** rows per transaction of the raw baselines */
  rawBatches: number[]
}

/** CPU seconds spent during one measurement, by process */
export interface ClusterCpu {
  /** every node together */
  nodes: number | null
  /** the PostgreSQL server and its backends */
  postgres: number | null
  /** mosquitto (ingest) or the webhook sink (drain) */
  other: number | null
  /** the bench process: the devices' MQTT clients (ingest) */
  client: number | null
}

export interface ClusterIngest {
  nodes: number
  /** punches acknowledged per second, counted when each device's ack (sent after commit) arrives */
  rate: number
  punches: number
  seconds: number
  cpu: ClusterCpu
  /** write transactions committed over the load (transaction ids used) */
  commits: number | null
  /** WAL flushes and MB of WAL written over the load (pg_stat_wal: wal_sync, wal_bytes) */
  walSyncs: number | null
  walMB: number | null
}

export interface ClusterDrain {
  nodes: number
  /** punches the webhook sink had per second, from the backlog's commit until it had the last one */
  rate: number
  punches: number
  seconds: number
  /** punches the sink got more than once */
  copies: number
  requests: number
  cpu: ClusterCpu
}

export interface ClusterRun {
  /** raw rows/s by rows per transaction, as in shape.rawBatches */
  raw: number[]
  ingest: ClusterIngest[]
  drain: ClusterDrain[]
}

export interface ClusterFigures {
  /** ISO 8601 */
  measuredAt: string
  /** the machine's 1-minute load average before and after the section: how much else was running */
  loadBefore?: number
  loadAfter?: number
  /** how a figure not measured by the bench got into the file, if one did */
  note?: string
  shape: ClusterShape
  postgresVersion: string
  mosquittoVersion: string
  /** forward.batchSize and forward.concurrency the nodes ran with */
  forward: { batchSize: number, concurrency: number }
  runs: ClusterRun[]
}
