/**
 * What the ingest-shapes bench (bench/ingest-shapes.ts) measures, as plain JSON: the two loads of issue 15
 * (a user's fleet waiting for each ack, and online terminals sending one punch a message) beside raw
 * better-sqlite3 baselines of the same rows in the same run. Rendered by bench/ingest-shapes-render.ts.
 * Values that do not apply are null, never NaN, so a file read back renders the same.
 */
import type { LoadShape } from './load-run.js'

export interface IngestShapes {
  /** devices each waiting for the ack of its batch before sending the next (window 1) */
  window1: LoadShape
  /** devices sending one punch a message, each waiting for its ack (window 1, batch 1) */
  single: LoadShape
  /** rows of the one-row-transaction baseline (each pays an fsync: kept small) */
  rawSingleRows: number
  /** a directory for `--cpu-prof` profiles of the first run's two gateways (BENCH_SHAPES_PROFILE) */
  profileDir?: string
}

/** One measured load through the gateway child. */
export interface GatewayLoad {
  /** punches acknowledged per second, counted on the ack sent after commit */
  rate: number
  punches: number
  seconds: number
  /** CPU seconds of the gateway process (every thread) and of the load generator during the load */
  gatewayCpuS: number | null
  clientCpuS: number | null
  /** mean rows per group-commit transaction (punchline_commit_rows) */
  rowsPerCommit: number | null
  /**
   * CPU seconds of the gateway's threads over the warm-up and the load: its event loop, its busiest other
   * thread (the commit thread, when it runs) and the rest (V8's and libuv's helpers); null off Linux
   */
  threads: { loopS: number, busiestOtherS: number, restS: number } | null
}

export interface ShapesRun {
  /** raw better-sqlite3, WAL + FULL: rows/s at 100 and 1000 rows per transaction, the window-1 fleet's rows */
  raw100: number
  raw1000: number
  window1: GatewayLoad
  /** raw better-sqlite3, WAL + FULL: rows/s at one row per transaction */
  raw1: number
  single: GatewayLoad
}

export interface ShapesFigures {
  /** ISO 8601 */
  measuredAt: string
  shapes: IngestShapes
  /** the gateway's ingest.commitThread in these runs */
  commitThread: boolean
  runs: ShapesRun[]
}
