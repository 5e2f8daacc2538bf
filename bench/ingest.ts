/**
 * Durable ingest through the gateway beside better-sqlite3 alone: the same punch rows in the gateway's own
 * schema, WAL + synchronous=FULL, in transactions of 100 (the baseline) and of 5000 (the ceiling).
 */
import { removeTempDir, tempDir } from './children.js'
import { startGateway } from './gateway-child.js'
import { costText, cpuCost, measuredLoad, type LoadRun, type LoadShape } from './load-run.js'
import { makePunches } from './mqtt-load.js'
import { rawInsertRate } from './raw-sqlite.js'
import { fmt, median } from './stats.js'

/** the ceiling: the same rows in large transactions, about the size the group commit forms under this load */
export const LARGE_TXN = 5000

export interface IngestRun {
  raw: number
  rawLarge: number
  gateway: LoadRun
  rowsPerCommit: number
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

export function ingestSection (runs: IngestRun[], shape: LoadShape): string {
  const { devices, batches, batchSize, window } = shape
  const raw = runs.map(r => r.raw)
  const rawLarge = runs.map(r => r.rawLarge)
  const ingest = runs.map(r => r.gateway.rate)
  const rawMedian = median(raw)
  const ingestMedian = median(ingest)
  const gwCpu = cpuCost(runs.map(r => r.gateway), 'serverCpuSeconds')
  const clientCpu = cpuCost(runs.map(r => r.gateway), 'clientCpuSeconds')
  return `
## Durable ingest through the gateway

| figure | median | runs |
|---|---:|---|
| raw better-sqlite3, WAL + synchronous=FULL, ${batchSize} rows per transaction, same rows and schema | ${fmt(rawMedian)} rows/s | ${raw.map(fmt).join(', ')} |
| gateway: ${devices} devices × ${batches} batches of ${batchSize} punches, ${window} batches in flight each, counted when the ack (sent after commit) arrives | ${fmt(ingestMedian)} punches/s | ${ingest.map(fmt).join(', ')} |
| **ratio** gateway / raw ${batchSize} rows per transaction (target ≥ 0.25 for the spine, ≥ 0.5 later) | **${(ingestMedian / rawMedian).toFixed(3)}** | |
| ceiling: raw better-sqlite3, same rows, ${LARGE_TXN} rows per transaction | ${fmt(median(rawLarge))} rows/s | ${rawLarge.map(fmt).join(', ')} |
| gateway / ceiling | ${(ingestMedian / median(rawLarge)).toFixed(3)} | |

The load generator (${devices} MQTT.js clients with TCP_NODELAY, \`bench/mqtt-load.ts\`) runs in the bench process and
the gateway in a child process (\`punchline gateway --allow-anonymous\`, no upstream configured so the forwarder does not
compete), so on a 2-core machine each gets one core. The baseline inserts the same ${fmt(devices * batches * batchSize)} rows with
\`INSERT OR IGNORE\` into the gateway's own schema (unique index on device, epoch, seq) in transactions of ${batchSize}.
Measured by \`bench/ingest.ts\` and \`bench/raw-sqlite.ts\`; alone: \`BENCH_ONLY=ingest npm run bench\`.

What lets the gateway compete with the ${batchSize}-row baseline: group commit. Every batch that arrives within one turn of the
event loop joins one transaction, so the gateway pays one fsync for many device batches; in these runs a commit held
${fmt(median(runs.map(r => r.rowsPerCommit)))} rows on average (median over runs; \`punchline_commit_rows\` in /metrics). The baseline pays one
fsync per ${batchSize} rows.

What limits it. The ceiling pays an fsync per ${fmt(LARGE_TXN)} rows, about what a group commit holds here, and does nothing
else; it goes ${(median(rawLarge) / ingestMedian).toFixed(1)} times as fast as the gateway, so the gap is the gateway's work per punch, not the number of
fsyncs. Per batch the gateway does MQTT parsing in aedes, one \`JSON.parse\`, validation of every field, the flag rules,
the insert, and the ack's encoding and publish, all on one thread that also blocks through the fsync of each group
commit (better-sqlite3 is synchronous). During the load the gateway process used ${costText(gwCpu)},
the load generator ${costText(clientCpu)} (medians over runs).${gwCpu.share >= 0.75
    ? ' The gateway was CPU-bound: its thread was on a core nearly all the time.'
    : `
The gateway's thread was on a core ${Math.round(100 * gwCpu.share)} % of the time; the rest it was blocked in the fsyncs of its group
commits or waiting for a core (on a busy shared machine; see the load average above), which these runs cannot tell
apart. The CPU per punch is the steadier figure when the machine is shared.`}
`
}
