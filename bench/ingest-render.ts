/**
 * The durable ingest section's tables (docs/BENCHMARKS.md, "Durable ingest through the gateway") from its
 * figures (bench/ingest.ts): the gateway beside raw better-sqlite3 in transactions of the load's batch size
 * and of the ceiling's size, measured in the same runs, and the CPU each process spent. Pure.
 */
import { costCells, cpuCost } from './cpu-cost.js'
import type { IngestFigures } from './ingest.js'
import { fixed, fmt, median } from './stats.js'

/** targets for the ingest ratio: the spine's, and a later one */
const TARGET_RATIO = 0.25
const LATER_TARGET_RATIO = 0.5
/** a thread on a core at least this share of the time is called CPU-bound */
export const CPU_BOUND_SHARE = 0.75

export function renderIngest (f: IngestFigures): string {
  const { devices, batches, batchSize, window } = f.shape
  const raw = f.runs.map(r => r.raw)
  const rawLarge = f.runs.map(r => r.rawLarge)
  const ingest = f.runs.map(r => r.gateway.rate)
  const commitRows = f.runs.map(r => r.rowsPerCommit)
  const ingestMedian = median(ingest)
  const gwCpu = cpuCost(f.runs.map(r => r.gateway), 'serverCpuSeconds')
  const clientCpu = cpuCost(f.runs.map(r => r.gateway), 'clientCpuSeconds')
  return `| figure | median | runs |
|---|---:|---|
| raw better-sqlite3, WAL + synchronous=FULL, ${batchSize} rows per transaction, same rows and schema | ${fmt(median(raw))} rows/s | ${raw.map(fmt).join(', ')} |
| gateway: ${devices} devices × ${batches} batches of ${batchSize} punches, ${window} batches in flight each, counted when the ack (sent after commit) arrives | ${fmt(ingestMedian)} punches/s | ${ingest.map(fmt).join(', ')} |
| **ratio** gateway / raw ${batchSize} rows per transaction (target ≥ ${TARGET_RATIO} for the spine, ≥ ${LATER_TARGET_RATIO} later) | **${fixed(ingestMedian / median(raw), 3)}** | |
| ceiling: raw better-sqlite3, same rows, ${f.largeTxn} rows per transaction | ${fmt(median(rawLarge))} rows/s | ${rawLarge.map(fmt).join(', ')} |
| gateway / ceiling | ${fixed(ingestMedian / median(rawLarge), 3)} | |
| rows per group commit (\`punchline_commit_rows\`), against ${batchSize} for the baseline | ${fmt(median(commitRows))} | |

| process, during the load (medians over runs) | on a core | CPU per punch |
|---|---:|---:|
| gateway (\`punchline gateway --allow-anonymous\`, no upstream) | ${costCells(gwCpu)} |
| load generator (${devices} MQTT.js clients) | ${costCells(clientCpu)} |

${gwCpu.share > 1
    ? `The gateway was on a core ${Math.round(100 * gwCpu.share)} % of the time, counting all its threads: the event loop, the commit thread
(the transactions and their fsyncs) and the checkpointer, so on two cores its CPU share alone cannot say which one held it back.`
    : gwCpu.share >= CPU_BOUND_SHARE
    ? 'The gateway was CPU-bound: its thread was on a core nearly all the time.'
    : `The gateway's thread was on a core ${Math.round(100 * gwCpu.share)} % of the time; the rest it was blocked in the fsyncs of its group
commits or waiting for a core (on a busy shared machine; see the load average above), which these runs cannot tell
apart. The CPU per punch is the steadier figure when the machine is shared.`}
`
}
