/**
 * `npm run bench`: each figure beside its baseline, measured in the same run on the same machine, written
 * to docs/BENCHMARKS.md. Figures are medians of several runs; ratios are what to compare across machines.
 * Each section is measured and written by its own file; the load sections interleave their runs so that a
 * drift in the machine (other work on a shared host, a slower disk) hits the figure and its baseline alike.
 *
 * Environment: BENCH_RUNS (5); durable ingest BENCH_DEVICES (50), BENCH_BATCHES (100), BENCH_WINDOW (4);
 * BENCH_MOSQUITTO (path of the mosquitto binary, found on PATH or in /usr/sbin otherwise); latency
 * BENCH_LATENCY_DEVICES (20), BENCH_LATENCY_INTERVAL_MS (1000), BENCH_LATENCY_SECONDS (12),
 * BENCH_LATENCY_LINGER_MS (the gateway's default); BENCH_RING_APPENDS (2000); the post-outage drain
 * BENCH_DRAIN_RUNS (1: a run takes minutes), BENCH_DRAIN_DEVICES (10000), BENCH_DRAIN_PUNCHES (300), BENCH_DRAIN_WINDOW_MS
 * (10000), BENCH_DRAIN_MAX_CONNECTING (no bound), BENCH_DRAIN_CONNACK_TIMEOUT_MS (the uplink's own), BENCH_DRAIN_FORWARD_BATCH
 * (the gateway's default), BENCH_DRAIN_PROFILE (a directory: the first drain's gateway writes a --cpu-prof profile there).
 * BENCH_ONLY=ingest,mosquitto,latency,ring,drain runs only those sections and prints them instead of rewriting the doc.
 * A full run also writes the drain's figures to docs/bench/drain.json; BENCH_DRAIN_FIGURES=FILE renders the drain
 * section from such a file instead of measuring (with BENCH_ONLY=drain: print it again after a change of wording).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ingestRun, ingestSection, punchRows, type IngestRun } from './ingest.js'
import { passthroughRun, passthroughSection, type PassthroughRun } from './aedes-passthrough.js'
import { findMosquitto, mosquittoRun, mosquittoSection, type MosquittoFigures, type MosquittoRun } from './mosquitto.js'
import { latencyRun, latencySection, type LatencyRun, type LatencyShape } from './latency.js'
import { ringFigures, ringSection } from './ring.js'
import { measureDrain } from './drain.js'
import type { DrainFigures, DrainShape } from './drain-figures.js'
import { renderDrainSection } from './drain-render.js'
import { measureShapes, shapesFromEnv } from './ingest-shapes.js'
import { renderShapesSection } from './ingest-shapes-render.js'
import { load1, machineLine } from './machine.js'
import type { LoadShape } from './load-run.js'

const num = (name: string, fallback: number): number => {
  const v = process.env[name]
  if (v === undefined || v === '') return fallback
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}: must be a positive number, got '${v}'`)
  return n
}

const RUNS = num('BENCH_RUNS', 5)
const SHAPE: LoadShape = { devices: num('BENCH_DEVICES', 50), batches: num('BENCH_BATCHES', 100), batchSize: 100, window: num('BENCH_WINDOW', 4) }
const LATENCY: LatencyShape = {
  devices: num('BENCH_LATENCY_DEVICES', 20),
  intervalMs: num('BENCH_LATENCY_INTERVAL_MS', 1000),
  seconds: num('BENCH_LATENCY_SECONDS', 12),
  lingerMs: process.env.BENCH_LATENCY_LINGER_MS === undefined || process.env.BENCH_LATENCY_LINGER_MS === '' ? undefined : Number(process.env.BENCH_LATENCY_LINGER_MS)
}
const APPENDS = num('BENCH_RING_APPENDS', 2000)
const DRAIN_RUNS = num('BENCH_DRAIN_RUNS', 1)
const optional = (name: string): number | undefined => process.env[name] === undefined || process.env[name] === '' ? undefined : num(name, NaN)
const DRAIN: DrainShape = {
  devices: num('BENCH_DRAIN_DEVICES', 10_000),
  punches: num('BENCH_DRAIN_PUNCHES', 300),
  windowMs: num('BENCH_DRAIN_WINDOW_MS', 10_000),
  maxConnecting: optional('BENCH_DRAIN_MAX_CONNECTING'),
  connackTimeoutMs: optional('BENCH_DRAIN_CONNACK_TIMEOUT_MS'),
  forwardBatch: optional('BENCH_DRAIN_FORWARD_BATCH'),
  timeoutS: 900,
  gatewayNodeArgs: process.env.BENCH_DRAIN_PROFILE === undefined || process.env.BENCH_DRAIN_PROFILE === '' ? undefined : ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_DRAIN_PROFILE}`]
}
/** a drain figures file (docs/bench/drain.json) to render the section from instead of measuring */
const DRAIN_FIGURES = process.env.BENCH_DRAIN_FIGURES === undefined || process.env.BENCH_DRAIN_FIGURES === '' ? undefined : process.env.BENCH_DRAIN_FIGURES
const SECTIONS = ['ingest', 'mosquitto', 'latency', 'ring', 'drain', 'shapes'] as const
const ONLY = process.env.BENCH_ONLY === undefined || process.env.BENCH_ONLY === '' ? undefined : process.env.BENCH_ONLY.split(',').map(s => s.trim())
if (ONLY?.some(s => !(SECTIONS as readonly string[]).includes(s)) === true) throw new Error(`BENCH_ONLY: sections are ${SECTIONS.join(', ')}`)
const wanted = (s: typeof SECTIONS[number]): boolean => ONLY === undefined || ONLY.includes(s)

const say = (line: string): void => { process.stdout.write(line + '\n') }

/** Figures a full bench wrote; a file that is not such figures stops the bench with its name. */
function readDrainFigures (file: string): DrainFigures {
  let figures: unknown
  try {
    figures = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new Error(`BENCH_DRAIN_FIGURES: cannot read ${file}: ${(err as Error).message}`)
  }
  const f = figures as Partial<DrainFigures> | null
  if (typeof f !== 'object' || f === null || typeof f.shape !== 'object' || typeof f.setting !== 'object' || typeof f.outcome !== 'object') {
    throw new Error(`BENCH_DRAIN_FIGURES: ${file} holds no drain figures (shape, setting and outcome, as docs/bench/drain.json)`)
  }
  return f as DrainFigures
}

async function main (): Promise<void> {
  const started = performance.now()
  const loadBefore = load1()
  const sections: string[] = []

  const ingest: IngestRun[] = []
  const passthrough: PassthroughRun[] = []
  const mosquittoRuns: MosquittoRun[] = []
  const found = findMosquitto()
  let mosquitto: MosquittoFigures = 'skipped' in found ? found : { ...found, runs: mosquittoRuns }
  if ('skipped' in mosquitto && wanted('mosquitto')) say(`mosquitto figures skipped: ${mosquitto.skipped}`)
  if (wanted('ingest') || wanted('mosquitto')) {
    const rows = wanted('ingest') ? punchRows(SHAPE) : []
    for (let run = 0; run < RUNS; run++) {
      const log = (line: string): void => say(`run ${run + 1}/${RUNS}: ${line}`)
      if (wanted('ingest')) {
        ingest.push(await ingestRun(SHAPE, rows, log))
        passthrough.push(await passthroughRun(SHAPE, log))
      }
      if (wanted('mosquitto') && !('skipped' in mosquitto)) {
        try {
          mosquittoRuns.push(await mosquittoRun(mosquitto.binary, SHAPE, log))
        } catch (err) {
          // The peer is a comparison, not the product: its failure is reported, the rest of the bench goes on.
          mosquitto = { skipped: `mosquitto ${mosquitto.version} failed in run ${run + 1}: ${(err as Error).message}` }
          say(`mosquitto figures skipped: ${mosquitto.skipped}`)
        }
      }
    }
    if (wanted('ingest')) sections.push(ingestSection(ingest, SHAPE), passthroughSection(passthrough, ingest, SHAPE))
    if (wanted('mosquitto')) {
      if (ingest.length > 0) sections.push(mosquittoSection(mosquitto, ingest, SHAPE))
      else say('(the mosquitto section needs the ingest figures beside it; run it with BENCH_ONLY=ingest,mosquitto)')
    }
  }

  if (wanted('latency')) {
    const latency: LatencyRun[] = []
    for (let run = 0; run < RUNS; run++) latency.push(await latencyRun(LATENCY, line => say(`run ${run + 1}/${RUNS}: ${line}`)))
    sections.push(latencySection(latency, LATENCY))
  }

  if (wanted('shapes')) {
    const { shapes, commitThread } = shapesFromEnv()
    sections.push(renderShapesSection(await measureShapes(shapes, commitThread, RUNS, say)))
  }

  if (wanted('ring')) sections.push(ringSection(await ringFigures(RUNS, APPENDS, say)))

  let drain: DrainFigures | undefined
  if (wanted('drain')) {
    drain = DRAIN_FIGURES === undefined ? await measureDrain(DRAIN, DRAIN_RUNS, say) : readDrainFigures(DRAIN_FIGURES)
    sections.push(renderDrainSection(drain))
  }

  const wallMin = (performance.now() - started) / 60_000
  say(`\nbench took ${wallMin.toFixed(1)} min`)
  const doc = `# Benchmarks

Written by \`npm run bench\` (${new Date().toISOString().slice(0, 10)}, ${wallMin.toFixed(1)} min). Each figure is the median of ${RUNS} runs (the drain: ${DRAIN_RUNS === 1 ? 'one run' : `${DRAIN_RUNS} runs`}) and
stands beside a baseline measured in the same run on the same machine; compare ratios, not absolute rates, across
machines. Speed targets live here, never as timed assertions in tests.

Machine: ${machineLine()}; 1-minute load average ${loadBefore.toFixed(1)} before the bench and ${load1().toFixed(1)} after it
(a shared machine makes absolute figures noisy).

Reproduce: \`npm run bench\`. Environment: \`BENCH_RUNS\` (${RUNS}); durable ingest \`BENCH_DEVICES\` (${SHAPE.devices}), \`BENCH_BATCHES\` (${SHAPE.batches}),
\`BENCH_WINDOW\` (${SHAPE.window}); \`BENCH_MOSQUITTO\` (the mosquitto binary; found on PATH or in /usr/sbin otherwise); latency
\`BENCH_LATENCY_DEVICES\` (${LATENCY.devices}), \`BENCH_LATENCY_INTERVAL_MS\` (${LATENCY.intervalMs}), \`BENCH_LATENCY_SECONDS\` (${LATENCY.seconds}),
\`BENCH_LATENCY_LINGER_MS\` (${LATENCY.lingerMs ?? 'the gateway\'s default'}); \`BENCH_RING_APPENDS\` (${APPENDS}); the post-outage drain \`BENCH_DRAIN_RUNS\` (${DRAIN_RUNS}),
\`BENCH_DRAIN_DEVICES\` (${DRAIN.devices}), \`BENCH_DRAIN_PUNCHES\` (${DRAIN.punches}), \`BENCH_DRAIN_WINDOW_MS\` (${DRAIN.windowMs}), \`BENCH_DRAIN_MAX_CONNECTING\`
(${DRAIN.maxConnecting ?? 'no bound'}), \`BENCH_DRAIN_CONNACK_TIMEOUT_MS\` (${DRAIN.connackTimeoutMs ?? 'the uplink\'s own'}), \`BENCH_DRAIN_FORWARD_BATCH\` (${DRAIN.forwardBatch ?? 'the gateway\'s default'}),
\`BENCH_DRAIN_PROFILE\` (a directory for a \`--cpu-prof\` profile of the first drain's gateway). \`BENCH_ONLY=ingest,mosquitto,latency,ring,drain\`
runs some sections and prints them instead of rewriting this file. The mosquitto peer needs the Debian package
(\`apt-get install -y mosquitto\`; the bench runs the binary itself, the service is not used); without it that section
says it was skipped and why. Benches do not run in CI.
${sections.join('')}`
  if (ONLY !== undefined) {
    say(doc)
    return
  }
  const out = fileURLToPath(new URL('../../docs/BENCHMARKS.md', import.meta.url))
  writeFileSync(out, doc)
  say(`wrote ${out}`)
  if (drain !== undefined && DRAIN_FIGURES === undefined) {
    const figures = fileURLToPath(new URL('../../docs/bench/drain.json', import.meta.url))
    mkdirSync(dirname(figures), { recursive: true })
    writeFileSync(figures, JSON.stringify(drain, null, 2) + '\n')
    say(`wrote ${figures}`)
  }
}

main().catch((err: Error) => { process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`); process.exit(1) })
