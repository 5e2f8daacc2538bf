/**
 * The ingest shapes' block of docs/BENCHMARKS.md (its heading is written by hand), rendered from their figures (ingest-shapes-figures.ts).
 * Pure: no measuring and no clock, so figures read back from a file render the same section.
 */
import type { GatewayLoad, ShapesFigures } from './ingest-shapes-figures.js'
import { fixed, fmt, median } from './stats.js'

/** issue 15's targets */
export const TARGET_WINDOW1_TO_RAW1000 = 0.5
export const TARGET_SINGLE_TO_RAW1 = 3

const list = (xs: number[]): string => xs.map(fmt).join(', ')
const ratios = (a: number[], b: number[]): number[] => a.map((x, i) => x / b[i])
const ratioList = (xs: number[]): string => xs.map(x => fixed(x, 2)).join(', ')

function cpuPerPunchUs (loads: GatewayLoad[], side: 'gatewayCpuS' | 'clientCpuS'): number {
  return median(loads.map(l => l[side] === null ? NaN : l[side]! * 1e6 / l.punches))
}

/** The event loop's and the busiest other thread's share of the gateway's CPU (medians over runs). */
function threadShares (loads: GatewayLoad[]): { loop: number, other: number } {
  const total = (l: GatewayLoad): number => l.threads === null ? NaN : l.threads.loopS + l.threads.busiestOtherS + l.threads.restS
  return {
    loop: median(loads.map(l => l.threads === null ? NaN : l.threads.loopS / total(l))),
    other: median(loads.map(l => l.threads === null ? NaN : l.threads.busiestOtherS / total(l)))
  }
}

const pct = (x: number): string => Number.isFinite(x) ? `${Math.round(100 * x)} %` : 'n/a'

function coreShare (loads: GatewayLoad[]): number {
  return median(loads.map(l => l.gatewayCpuS === null ? NaN : l.gatewayCpuS / l.seconds))
}

function verdict (value: number, target: number): string {
  return `${fixed(value, 2)} against ≥ ${target} (${value >= target ? 'met' : '**missed**'})`
}

export function renderShapes (f: ShapesFigures): string {
  const { shapes, runs } = f
  const w = shapes.window1
  const s = shapes.single
  const raw100 = runs.map(r => r.raw100)
  const raw1000 = runs.map(r => r.raw1000)
  const raw1 = runs.map(r => r.raw1)
  const w1 = runs.map(r => r.window1.rate)
  const single = runs.map(r => r.single.rate)
  // The ratio of each run against the baselines of the same run, then the median of those.
  const toRaw1000 = ratios(w1, raw1000)
  const toRaw100 = ratios(w1, raw100)
  const toRaw1 = ratios(single, raw1)
  const w1Loads = runs.map(r => r.window1)
  const singleLoads = runs.map(r => r.single)
  const commits = (loads: GatewayLoad[]): string => fmt(median(loads.map(l => l.rowsPerCommit ?? NaN)))
  const split = (loads: GatewayLoad[]): string => {
    const t = threadShares(loads)
    return `${pct(t.loop)} of it on the event loop, ${pct(t.other)} on the busiest other thread`
  }
  return `Measured ${f.measuredAt.slice(0, 10)}, ${runs.length} ${runs.length === 1 ? 'run' : 'runs'}, the gateway with \`ingest.commitThread\` ${String(f.commitThread)}. Ratios are taken
within each run (the gateway against the baselines measured just before it) and their median is given.

| figure | median | runs |
|---|---:|---|
| raw better-sqlite3, WAL + synchronous=FULL, 100 rows per transaction | ${fmt(median(raw100))} rows/s | ${list(raw100)} |
| raw better-sqlite3, WAL + synchronous=FULL, 1000 rows per transaction | ${fmt(median(raw1000))} rows/s | ${list(raw1000)} |
| gateway: ${fmt(w.devices)} devices × ${fmt(w.batches)} batches of ${w.batchSize}, each waiting for its ack before the next (window 1) | ${fmt(median(w1))} punches/s | ${list(w1)} |
| **ratio** gateway / raw 1000 rows per transaction | **${fixed(median(toRaw1000), 2)}** | ${ratioList(toRaw1000)} |
| ratio gateway / raw 100 rows per transaction | ${fixed(median(toRaw100), 2)} | ${ratioList(toRaw100)} |
| raw better-sqlite3, WAL + synchronous=FULL, one row per transaction | ${fmt(median(raw1))} rows/s | ${list(raw1)} |
| gateway: ${fmt(s.devices)} devices × ${fmt(s.batches)} messages of one punch, each waiting for its ack | ${fmt(median(single))} punches/s | ${list(single)} |
| **ratio** gateway / raw one-row transactions | **${fixed(median(toRaw1), 2)}** | ${ratioList(toRaw1)} |
| against the targets | window 1: ${verdict(median(toRaw1000), TARGET_WINDOW1_TO_RAW1000)}; one punch a message: ${verdict(median(toRaw1), TARGET_SINGLE_TO_RAW1)} | |

The raw baselines insert the same rows into the gateway's schema in one process with nothing else to do, and
each of their transactions files its rows as the schema needs every stored punch filed (pending set, its total,
reviews: \`PUNCH_FILING\`, the statements the gateway runs; until migration 10 the schema's triggers did it inside
every INSERT, so the earlier baselines paid it too, at the triggers' cost; docs/DESIGN-NOTES.md, "The pending set
and reviews filed per transaction"); the one-row baseline inserts ${fmt(shapes.rawSingleRows)} rows, an fsync each. The gateway runs in a child process
(\`punchline gateway --allow-anonymous\`, no upstream) and the devices are MQTT.js clients in the bench process,
counted when the gateway's ack (sent after the commit) arrives. With window 1 a device has nothing in flight while
it waits, so the rate is set by how soon a batch is committed and acknowledged, not by how much the
gateway can take at once: every fsync the gateway waits for before it collects the next group is time every
device waits.

Where it went, medians over runs. Window 1: a commit held ${commits(w1Loads)} rows; the gateway used
${Math.round(100 * coreShare(w1Loads))} % of a core (all its threads), ${fixed(cpuPerPunchUs(w1Loads, 'gatewayCpuS'), 1)} µs of CPU per punch; the load generator
${fixed(cpuPerPunchUs(w1Loads, 'clientCpuS'), 1)} µs; ${split(w1Loads)}. One punch a message: a commit held ${commits(singleLoads)} rows; the gateway used
${Math.round(100 * coreShare(singleLoads))} % of a core, ${fixed(cpuPerPunchUs(singleLoads, 'gatewayCpuS'), 1)} µs of CPU per punch, ${split(singleLoads)}; the load generator ${fixed(cpuPerPunchUs(singleLoads, 'clientCpuS'), 1)} µs.
The thread shares are taken over the warm-up and the load together (\`bench/thread-cpu.ts\`; Node names no thread, so
the busiest thread besides the event loop stands for the commit thread, and with the commits in the loop it is one of V8's
helpers).
Measured by \`bench/ingest-shapes.ts\`; alone: \`BENCH_ONLY=shapes npm run bench\` (\`BENCH_COMMIT_THREAD=0\` runs the
gateway with the commits in its event loop, for comparison).
`
}
