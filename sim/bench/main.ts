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

const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const DEVICES = Number(process.env.BENCH_DEVICES ?? 50)
const BATCHES = Number(process.env.BENCH_BATCHES ?? 40)
const BATCH = 100
const WINDOW = Number(process.env.BENCH_WINDOW ?? 4)

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] }
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')

async function startGateway (dataDir: string): Promise<{ url: string, stop: () => Promise<void> }> {
  const cli = fileURLToPath(new URL('../../bin/punchline.js', import.meta.url))
  const child = spawn(process.execPath, [cli, 'gateway', '--data', dataDir, '--mqtt-port', '0', '--http-port', '0', '--allow-anonymous'], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PUNCHLINE_LOG_LEVEL: 'warn' }
  })
  const lines = createInterface({ input: child.stdout! })
  const port = await new Promise<number>((resolve, reject) => {
    lines.on('line', (line) => {
      try {
        const e = JSON.parse(line) as { msg?: string, mqttPort?: number }
        if (e.msg === 'gateway ready' && e.mqttPort !== undefined) resolve(e.mqttPort)
      } catch {}
    })
    child.once('exit', code => reject(new Error(`gateway exited ${code}`)))
  })
  return {
    url: `mqtt://127.0.0.1:${port}`,
    stop: async () => { child.kill('SIGTERM'); await new Promise(resolve => child.once('exit', resolve)) }
  }
}

async function main (): Promise<void> {
  const total = DEVICES * BATCHES * BATCH
  const rows = Array.from({ length: DEVICES }, (_, d) => makePunches(BATCHES * BATCH, 1, Date.now()).map(punch => ({ device: `BENCH-${d}`, punch }))).flat()

  const raw: number[] = []
  const ingest: number[] = []
  for (let run = 0; run < RUNS; run++) {
    raw.push(rawInsertRate(rows, BATCH))
    process.stdout.write(`run ${run + 1}/${RUNS}: raw better-sqlite3 FULL, ${BATCH} rows/txn: ${fmt(raw[run])} rows/s\n`)
    const dir = mkdtempSync(join(tmpdir(), 'punchline-bench-gw-'))
    // The gateway is warmed up on a small load first, so JIT and connection set-up stay out of the figure.
    // Its log level is raised to warn: the figure is about the data path, not logging.
    // The gateway is started without an upstream, so the forwarder does not compete for the disk.
    const gw = await startGateway(dir)
    try {
      await runLoad({ url: gw.url, devices: 10, batchesPerDevice: 5, batchSize: BATCH, window: WINDOW, epoch: 'aaaaaaaa' })
      const r = await runLoad({ url: gw.url, devices: DEVICES, batchesPerDevice: BATCHES, batchSize: BATCH, window: WINDOW, epoch: 'bbbbbbbb' })
      ingest.push(r.rate)
      process.stdout.write(`run ${run + 1}/${RUNS}: durable ingest through the gateway: ${fmt(r.rate)} punches/s (${r.punches} in ${r.seconds.toFixed(2)} s)\n`)
    } finally {
      await gw.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
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
| **ratio** (target ≥ 0.25 for the spine, ≥ 0.5 later) | **${ratio.toFixed(3)}** | |

The load generator (${DEVICES} MQTT.js clients with TCP_NODELAY) runs in the bench process and the gateway in a child
process (\`punchline gateway --allow-anonymous\`, no upstream configured so the forwarder does not compete), so
on this 2-core machine each gets one core. The baseline inserts the same ${fmt(total)} rows with \`INSERT OR IGNORE\` into
the gateway's own schema (unique index on device, epoch, seq) in transactions of ${BATCH}.

Reproduce: \`npm run bench\` (environment: \`BENCH_RUNS\`, \`BENCH_DEVICES\`, \`BENCH_BATCHES\`, \`BENCH_WINDOW\`).

What limits it: the gateway does, per batch, MQTT parsing in aedes, one \`JSON.parse\`, validation of every field,
the flag rules, and the ack's encoding and publish, all on one thread that also waits for the fsync of each group
commit (better-sqlite3 is synchronous). The baseline does only the inserts. Group commit turns the gateway's many
small batches into few large transactions, which is why the ratio is not far lower than the per-batch overhead suggests.
`
  const out = fileURLToPath(new URL('../../../docs/BENCHMARKS.md', import.meta.url))
  writeFileSync(out, doc)
  process.stdout.write(`wrote ${out}\n`)
}

main().catch((err: Error) => { process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`); process.exit(1) })
