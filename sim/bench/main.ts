/**
 * `npm run bench`: each figure beside its baseline, measured in the same run on the same machine, written
 * to docs/BENCHMARKS.md. Figures are medians of several runs; ratios are what to compare across machines.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { rawInsertRate } from './raw-sqlite.js'
import { makePunches, runLoad } from './mqtt-load.js'
import { RECORD_SIZE } from '../../device/ring/index.js'
import { rawFsyncLatency, ringAppendLatency, ringRecovery, type Latency, type Recovery } from './ring.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const DEVICES = Number(process.env.BENCH_DEVICES ?? 50)
const BATCHES = Number(process.env.BENCH_BATCHES ?? 100)
/** the ceiling: the same rows in large transactions, about the size the group commit forms under this load */
const LARGE_TXN = 5000
const RECORD_BYTES = RECORD_SIZE
const BATCH = 100
const WINDOW = Number(process.env.BENCH_WINDOW ?? 4)

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] }
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')

interface BenchGateway {
  url: string
  /** mean rows per group-commit transaction so far, from the gateway's own /metrics */
  rowsPerCommit: () => Promise<number>
  stop: () => Promise<void>
}

async function startGateway (dataDir: string): Promise<BenchGateway> {
  const cli = fileURLToPath(new URL('../../bin/punchline.js', import.meta.url))
  const child = spawn(process.execPath, [cli, 'gateway', '--data', dataDir, '--mqtt-port', '0', '--http-port', '0', '--allow-anonymous'], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PUNCHLINE_LOG_LEVEL: 'info' }
  })
  const lines = createInterface({ input: child.stdout! })
  const ports = await new Promise<{ mqttPort: number, httpPort: number }>((resolve, reject) => {
    lines.on('line', (line) => {
      try {
        const e = JSON.parse(line) as { msg?: string, mqttPort?: number, httpPort?: number }
        if (e.msg === 'gateway ready' && e.mqttPort !== undefined && e.httpPort !== undefined) resolve({ mqttPort: e.mqttPort, httpPort: e.httpPort })
      } catch {}
    })
    child.once('exit', code => reject(new Error(`gateway exited ${code}`)))
    setTimeout(() => reject(new Error('gateway did not log "gateway ready" within 20 s')), 20_000).unref()
  })
  return {
    url: `mqtt://127.0.0.1:${ports.mqttPort}`,
    rowsPerCommit: async () => {
      const text = await (await fetch(`http://127.0.0.1:${ports.httpPort}/metrics`)).text()
      const sum = Number(/^punchline_commit_rows_sum (\S+)$/m.exec(text)?.[1])
      const count = Number(/^punchline_commit_rows_count (\S+)$/m.exec(text)?.[1])
      return count > 0 ? sum / count : NaN
    },
    stop: async () => { child.kill('SIGTERM'); await new Promise(resolve => child.once('exit', resolve)) }
  }
}

async function main (): Promise<void> {
  const total = DEVICES * BATCHES * BATCH
  const rows = Array.from({ length: DEVICES }, (_, d) => makePunches(BATCHES * BATCH, 1, Date.now()).map(punch => ({ device: `BENCH-${d}`, punch }))).flat()

  const raw: number[] = []
  const rawLarge: number[] = []
  const ingest: number[] = []
  const commitSizes: number[] = []
  for (let run = 0; run < RUNS; run++) {
    raw.push(rawInsertRate(rows, BATCH))
    process.stdout.write(`run ${run + 1}/${RUNS}: raw better-sqlite3 FULL, ${BATCH} rows/txn: ${fmt(raw[run])} rows/s\n`)
    rawLarge.push(rawInsertRate(rows, LARGE_TXN))
    process.stdout.write(`run ${run + 1}/${RUNS}: raw better-sqlite3 FULL, ${LARGE_TXN} rows/txn: ${fmt(rawLarge[run])} rows/s\n`)
    const dir = mkdtempSync(join(tmpdir(), 'punchline-bench-gw-'))
    // The gateway is warmed up on a small load first, so JIT and connection set-up stay out of the figure.
    // It logs at info, which on the data path means rejected punches only (there are none here), and the
    // ready line the bench reads its port from.
    // The gateway is started without an upstream, so the forwarder does not compete for the disk.
    const gw = await startGateway(dir)
    try {
      await runLoad({ url: gw.url, devices: 10, batchesPerDevice: 5, batchSize: BATCH, window: WINDOW, epoch: 'aaaaaaaa' })
      const r = await runLoad({ url: gw.url, devices: DEVICES, batchesPerDevice: BATCHES, batchSize: BATCH, window: WINDOW, epoch: 'bbbbbbbb' })
      ingest.push(r.rate)
      commitSizes.push(await gw.rowsPerCommit())
      process.stdout.write(`run ${run + 1}/${RUNS}: durable ingest through the gateway: ${fmt(r.rate)} punches/s (${r.punches} in ${r.seconds.toFixed(2)} s)\n`)
    } finally {
      await gw.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  // Device ring: append latency (durable on return) beside a raw write + fdatasync of the same size,
  // alternating so drifts in the disk hit both; then recovery after SIGKILL of a small and a large ring.
  const APPENDS = Number(process.env.BENCH_RING_APPENDS ?? 2000)
  const ringRuns: Latency[] = []
  const fsyncRuns: Latency[] = []
  for (let run = 0; run < RUNS; run++) {
    ringRuns.push(ringAppendLatency(APPENDS))
    fsyncRuns.push(rawFsyncLatency(APPENDS))
    process.stdout.write(`run ${run + 1}/${RUNS}: ring append p50 ${ringRuns[run].p50.toFixed(0)} µs, raw fsync p50 ${fsyncRuns[run].p50.toFixed(0)} µs\n`)
  }
  const recoveries: Recovery[][] = [[], []]
  for (let run = 0; run < RUNS; run++) {
    recoveries[0].push(await ringRecovery(1000))
    recoveries[1].push(await ringRecovery(100_000))
    process.stdout.write(`run ${run + 1}/${RUNS}: ring recovery after SIGKILL: 1,000 slots ${recoveries[0][run].openMs.toFixed(1)} ms, 100,000 slots ${recoveries[1][run].openMs.toFixed(1)} ms\n`)
  }
  const ringP50 = median(ringRuns.map(r => r.p50))
  const ringP99 = median(ringRuns.map(r => r.p99))
  const fsyncP50 = median(fsyncRuns.map(r => r.p50))
  const fsyncP99 = median(fsyncRuns.map(r => r.p99))
  const rec = recoveries.map(list => ({
    capacity: list[0].capacity,
    openMs: median(list.map(r => r.openMs)),
    heapMiB: median(list.map(r => r.heapMiB)),
    rssMiB: median(list.map(r => r.rssMiB)),
    corrupt: Math.max(...list.map(r => r.corrupt))
  }))

  const rawMedian = median(raw)
  const ingestMedian = median(ingest)
  const ratio = ingestMedian / rawMedian
  process.stdout.write(`\ndurable ingest ratio: ${ratio.toFixed(3)} (median ${fmt(ingestMedian)} / ${fmt(rawMedian)})\n`)

  const doc = `# Benchmarks

Written by \`npm run bench\` (${new Date().toISOString().slice(0, 10)}). Each figure is the median of ${RUNS} runs and stands
beside a baseline measured in the same run on the same machine; compare ratios, not absolute rates, across
machines. Speed targets live here, never as timed assertions in tests.

Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}.

## Durable ingest through the gateway

| figure | median | runs |
|---|---:|---|
| raw better-sqlite3, WAL + synchronous=FULL, ${BATCH} rows per transaction, same rows and schema | ${fmt(rawMedian)} rows/s | ${raw.map(fmt).join(', ')} |
| gateway: ${DEVICES} devices × ${BATCHES} batches of ${BATCH} punches, ${WINDOW} batches in flight each, counted when the ack (sent after commit) arrives | ${fmt(ingestMedian)} punches/s | ${ingest.map(fmt).join(', ')} |
| **ratio** gateway / raw ${BATCH} rows per transaction (target ≥ 0.25 for the spine, ≥ 0.5 later) | **${ratio.toFixed(3)}** | |
| ceiling: raw better-sqlite3, same rows, ${LARGE_TXN} rows per transaction | ${fmt(median(rawLarge))} rows/s | ${rawLarge.map(fmt).join(', ')} |
| gateway / ceiling | ${(ingestMedian / median(rawLarge)).toFixed(3)} | |

The load generator (${DEVICES} MQTT.js clients with TCP_NODELAY) runs in the bench process and the gateway in a child
process (\`punchline gateway --allow-anonymous\`, no upstream configured so the forwarder does not compete), so
on this 2-core machine each gets one core. The baseline inserts the same ${fmt(total)} rows with \`INSERT OR IGNORE\` into
the gateway's own schema (unique index on device, epoch, seq) in transactions of ${BATCH}.

Reproduce: \`npm run bench\` (environment: \`BENCH_RUNS\`, \`BENCH_DEVICES\`, \`BENCH_BATCHES\`, \`BENCH_WINDOW\`).

Why the gateway comes close to the ${BATCH}-row baseline: group commit. Every batch that arrives within one turn of the
event loop joins one transaction, so the gateway pays one fsync for many device batches; in these runs a commit held
${fmt(median(commitSizes))} rows on average (median over runs; \`punchline_commit_rows\` in /metrics). The baseline pays one
fsync per ${BATCH} rows.

What limits it, measured against the ceiling: CPU, not the disk. Per batch the gateway does MQTT parsing in aedes, one
\`JSON.parse\`, validation of every field, the flag rules, the insert, and the ack's encoding and publish, all on one
thread that also waits for the fsync of each group commit (better-sqlite3 is synchronous); the load generator's
${DEVICES} MQTT.js clients take the other core. The ceiling does only the inserts.
`
  const ringDoc = `
## Device ring

| figure | median p50 | median p99 | runs (p50) |
|---|---:|---:|---|
| raw: write one ${RECORD_BYTES}-byte record at rotating offsets of a preallocated file + \`fdatasync\` | ${fsyncP50.toFixed(0)} µs | ${fsyncP99.toFixed(0)} µs | ${fsyncRuns.map(r => r.p50.toFixed(0)).join(', ')} |
| \`ring.append\` of one punch, durable on return (10,000-slot file ring) | ${ringP50.toFixed(0)} µs | ${ringP99.toFixed(0)} µs | ${ringRuns.map(r => r.p50.toFixed(0)).join(', ')} |
| **ratio** ring / raw fsync, p50 (target ≤ 2) | **${(ringP50 / fsyncP50).toFixed(2)}** | ${(ringP99 / fsyncP99).toFixed(2)} | |

${APPENDS} appends per run. An append is one record write and one \`fdatasync\`, like the raw loop; what it adds is
encoding the record (JSON payload, CRC32) and the in-memory index update.

Recovery after SIGKILL: a child fills the ring, acks half, keeps appending, and is killed; a fresh process opens
the file (scanning every record, checking every CRC) and reports the time and what its index added to memory.

| ring | open (recovery) | index memory (heap + buffers) | process RSS after open | damaged records found |
|---|---:|---:|---:|---:|
${rec.map(r => `| ${fmt(r.capacity)} slots (${(r.capacity * RECORD_BYTES / 2 ** 20).toFixed(1)} MiB file) | ${r.openMs.toFixed(1)} ms | ${r.heapMiB.toFixed(2)} MiB | ${r.rssMiB.toFixed(0)} MiB | ≤ ${r.corrupt} |`).join('\n')}

Memory grows with capacity only by the index (typed arrays, about ${(rec[1].heapMiB * 2 ** 20 / rec[1].capacity).toFixed(0)} bytes per slot); records are
read from the file when they are sent, never held. Reproduce: \`npm run bench\` (\`BENCH_RING_APPENDS\`).
`
  const out = fileURLToPath(new URL('../../../docs/BENCHMARKS.md', import.meta.url))
  writeFileSync(out, doc + ringDoc)
  process.stdout.write(`wrote ${out}\n`)
}

main().catch((err: Error) => { process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`); process.exit(1) })
