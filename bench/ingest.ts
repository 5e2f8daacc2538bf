/**
 * Durable ingest through the gateway beside better-sqlite3 alone: the same punch rows in the gateway's own
 * schema, WAL + synchronous=FULL, in transactions of 100 (the baseline) and of 5000 (the ceiling).
 */
import { removeTempDir, tempDir } from './children.js'
import { startGateway } from './gateway-child.js'
import type { PassthroughRun } from './aedes-passthrough.js'
import { costText, cpuCost } from './cpu-cost.js'
import { measuredLoad, type LoadRun, type LoadShape } from './load-run.js'
import { makePunches } from './mqtt-load.js'
import { rawInsertRate } from './raw-sqlite.js'
import { fmt } from './stats.js'

/** the ceiling: the same rows in large transactions, about the size the group commit forms under this load */
export const LARGE_TXN = 5000

export interface IngestRun {
  raw: number
  rawLarge: number
  gateway: LoadRun
  rowsPerCommit: number
}

/**
 * What the ingest sections of docs/BENCHMARKS.md are rendered from (bench/ingest-render.ts,
 * bench/passthrough-render.ts), saved as docs/bench/ingest.json: the gateway's and the baselines' runs and
 * the aedes pass-through runs taken between them.
 */
export interface IngestFigures {
  /** when the figures were measured (ISO 8601) */
  measuredAt: string
  shape: LoadShape
  /** rows per transaction of the ceiling */
  largeTxn: number
  /** the aedes the pass-through broker ran */
  aedesVersion: string
  runs: IngestRun[]
  passthrough: PassthroughRun[]
}

export type PunchRows = Array<{ device: string, punch: ReturnType<typeof makePunches>[number] }>

export function punchRows (shape: LoadShape): PunchRows {
  return Array.from({ length: shape.devices }, (_, d) => makePunches(shape.batches * shape.batchSize, 1, Date.now()).map(punch => ({ device: `BENCH-${d}`, punch }))).flat()
}

export async function ingestRun (shape: LoadShape, rows: PunchRows, log: (line: string) => void): Promise<IngestRun> {
  const raw = rawInsertRate(rows, shape.batchSize)
  log(`raw better-sqlite3 FULL, ${shape.batchSize} rows/txn: ${fmt(raw)} rows/s`)
  const rawLarge = rawInsertRate(rows, LARGE_TXN)
  log(`raw better-sqlite3 FULL, ${LARGE_TXN} rows/txn: ${fmt(rawLarge)} rows/s`)
  const dir = tempDir('punchline-bench-gw-')
  // Started without an upstream, so the forwarder does not compete for the disk.
  const gw = await startGateway({ dataDir: dir })
  try {
    const gateway = await measuredLoad(gw.url, gw.child.pid, shape, 'ack')
    const rowsPerCommit = await gw.rowsPerCommit()
    log(`durable ingest through the gateway: ${fmt(gateway.rate)} punches/s (${gateway.punches} in ${gateway.seconds.toFixed(2)} s; gateway ${costText(cpuCost([gateway], 'serverCpuSeconds'))})`)
    return { raw, rawLarge, gateway, rowsPerCommit }
  } finally {
    await gw.stop()
    removeTempDir(dir)
  }
}
