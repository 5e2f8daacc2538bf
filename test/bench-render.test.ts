/**
 * Every bench section's tables rendered from figures made by hand (test/fixtures/bench-figures.ts): medians
 * over runs, ratios against the baseline of the same run, the CPU tables and the sentences that turn on them;
 * the blocks of docs/BENCHMARKS.md replaced and nothing else; figures saved and read back render the same;
 * and the committed docs/BENCHMARKS.md holds what its saved figures in docs/bench/ render. Nothing is measured.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { FIGURES_NAMES, figuresJson, loadFigures, saveFigures } from '../bench/bench-figures.js'
import { readBlock, replaceBlock } from '../bench/doc-blocks.js'
import { renderIngest } from '../bench/ingest-render.js'
import { renderLatency } from '../bench/latency-render.js'
import { renderMosquitto } from '../bench/mosquitto-render.js'
import { renderPassthrough } from '../bench/passthrough-render.js'
import { BLOCKS, renderBlocks } from '../bench/render-all.js'
import { renderRing } from '../bench/ring-render.js'
import { renderRun } from '../bench/run-render.js'
import { AT, ingestFigures, latencyFigures, loadRun, mosquittoFigures, ringFigures, runFigures } from './fixtures/bench-figures.js'

const DOCS = new URL('../docs/', import.meta.url)

t.test('ingest: the gateway beside raw inserts of the same runs, and the CPU each process spent', async t => {
  const text = renderIngest(ingestFigures())
  t.match(text, '| raw better-sqlite3, WAL + synchronous=FULL, 100 rows per transaction, same rows and schema | 4,000 rows/s | 2,000, 6,000, 4,000 |')
  t.match(text, '| gateway: 2 devices × 5 batches of 100 punches, 4 batches in flight each, counted when the ack (sent after commit) arrives | 2,000 punches/s | 1,000, 3,000, 2,000 |')
  t.match(text, '| **ratio** gateway / raw 100 rows per transaction (target ≥ 0.25 for the spine, ≥ 0.5 later) | **0.500** | |')
  t.match(text, '| ceiling: raw better-sqlite3, same rows, 5000 rows per transaction | 20,000 rows/s | 10,000, 30,000, 20,000 |')
  t.match(text, '| gateway / ceiling | 0.100 | |')
  t.match(text, '| rows per group commit (`punchline_commit_rows`), against 100 for the baseline | 2,000 | |')
  t.match(text, '| gateway (`punchline gateway --allow-anonymous`, no upstream) | 90 % of a core | 450.0 µs |')
  t.match(text, '| load generator (2 MQTT.js clients) | 10 % of a core | 50.0 µs |')
  t.match(text, 'The gateway was CPU-bound')
  const waiting = ingestFigures()
  waiting.runs = waiting.runs.map(r => ({ ...r, gateway: loadRun(r.gateway.rate, 0.5, 0.1) }))
  t.match(renderIngest(waiting), 'The gateway\'s thread was on a core 50 % of the time')
  const threads = ingestFigures()
  threads.runs = threads.runs.map(r => ({ ...r, gateway: loadRun(r.gateway.rate, 1.2, 0.1) }))
  t.match(renderIngest(threads), 'The gateway was on a core 120 % of the time, counting all its threads', 'past one core, no one thread is named')
  t.notMatch(text, 'n/a')
})

t.test('pass-through: ratios against the gateway of the same runs', async t => {
  const text = renderPassthrough(ingestFigures())
  t.match(text, 'Broker: aedes 1.2.0; 2 clients, 4 batches in flight each, 5 batches of 100 punches per device.')
  t.match(text, '| gateway durable ingest, counted on the ack sent after commit (from the section above) | 2,000 punches/s | 1,000, 3,000, 2,000 |')
  t.match(text, '| aedes pass-through, counted on PUBACK | 40,000 punches/s | 20,000, 60,000, 40,000 |')
  t.match(text, '| aedes pass-through + a fixed ack per batch, counted on the ack | 20,000 punches/s | 10,000, 30,000, 20,000 |')
  t.match(text, '| **ratio** gateway / aedes pass-through + fixed ack (like for like) | **0.100** | |')
  t.match(text, '| ratio gateway / aedes pass-through on PUBACK | 0.050 | |')
  t.match(text, '| aedes with the ack | 60 % of a core | 30.0 µs |')
  t.match(text, '| CPU per punch, gateway / aedes with the ack | | 15.0 × |')
  t.match(text, '| like-for-like ratio with each process CPU-bound on a core of its own (aedes / gateway CPU per punch) | | 0.07 |')
  t.notMatch(text, 'the busier side')
  const busyClient = ingestFigures()
  busyClient.passthrough = busyClient.passthrough.map(r => ({ ...r, ack: loadRun(r.ack.rate, 0.6, 0.9) }))
  t.match(renderPassthrough(busyClient), 'the load generator (2 MQTT.js clients in one process) was the busier side')
})

t.test('mosquitto: the peer beside the gateway of the same run, or why not', async t => {
  const text = renderMosquitto(mosquittoFigures(), ingestFigures())
  t.match(text, 'Mosquitto 2.0.11 (`/usr/sbin/mosquitto`), the subscriber MQTT.js 5.16.0')
  t.match(text, '| mosquitto, counted on PUBACK | 16,000 punches/s | 8,000, 24,000, 16,000 |')
  t.match(text, '| mosquitto, counted when the subscriber has every message | 10,000 punches/s | 5,000, 15,000, 10,000 |')
  t.match(text, '| **ratio** gateway / mosquitto with the subscriber having everything | **0.200** | |')
  t.match(text, '| ratio gateway / mosquitto on PUBACK | 0.125 | |')
  t.match(text, '| subscriber, until it had everything | 50 % of a core | 50.0 µs |')
  t.match(text, '| load generator | 60 % of a core | 37.5 µs |')
  t.match(text, '| the gateway, for comparison (from the durable ingest section) | 90 % of a core | 450.0 µs |')
  t.match(text, 'Mosquitto (C, one thread) is the cheapest of the three processes per punch.')
  t.match(text, 'None of the three was on a core more than 60 % of the time')
  t.match(text, 'round trips of 8 batches in flight')
  t.match(renderMosquitto({ ...mosquittoFigures(), outcome: { skipped: 'no mosquitto binary' } }, ingestFigures()), /^\*\*Skipped in this run:\*\* no mosquitto binary\./)
  const blocks = renderBlocks({ ingest: { ...ingestFigures(), measuredAt: '2026-12-06T00:00:00.000Z' }, mosquitto: mosquittoFigures() })
  t.match(blocks.get('mosquitto'), 'are not from the same run', 'never a ratio against another run\'s gateway')
  t.match(renderBlocks({ mosquitto: mosquittoFigures() }).get('mosquitto'), 'need the ingest figures of the same run')
})

t.test('latency: medians of each run\'s quantiles against the round trip of the same runs', async t => {
  const text = renderLatency(latencyFigures())
  t.match(text, '10 devices, each taking one punch every 0.5 s (20 punches/s in all); 6 s measured per run after a\n2 s warm-up; `forward.lingerMs` 50 (the default), `forward.batchSize` 500.')
  t.match(text, '| baseline: raw MQTT round trip, publish QoS 1 → PUBACK, broker alone | 1.00 ms | 3.00 ms | 2.00, 4.00, 3.00 |')
  t.match(text, '| **punch → upstream sink** (target p99 < 250 ms) | **55.0 ms** | **61.0 ms** | 60.0, 62.0, 61.0 |')
  t.match(text, '| ratio punch → upstream / raw MQTT round trip | 55 × | 20 × | |')
  t.match(text, '| p99 against the target | | 0.24 of 250 ms (met) | |')
  t.match(text, 'Upstream requests held 1.5 punches on average')
  t.match(text, 'What dominates: the forwarder\'s batching delay')
  t.notMatch(text, 'fired late')
  const short = { ...latencyFigures(), lingerMs: 20 }
  short.shape = { ...short.shape, lingerMs: 20 }
  const late = renderLatency(short)
  t.match(late, '`forward.lingerMs` 20 (`BENCH_LATENCY_LINGER_MS`)')
  t.match(late, 'its timers fired late')
  const slowCommit = latencyFigures()
  slowCommit.runs = slowCommit.runs.map(r => ({ ...r, toAck: { ...r.toAck, p50: 80 } }))
  t.match(renderLatency(slowCommit), 'What dominates: the path to the gateway\'s commit')
})

t.test('ring: appends against raw fsyncs of the same runs, and recovery', async t => {
  const text = renderRing(ringFigures())
  t.match(text, '| raw: write one 1024-byte record at rotating offsets of a preallocated file + `fdatasync` | 90 µs | 180 µs | 100, 90, 80 |')
  t.match(text, '| `ring.append` of one punch, durable on return (10,000-slot file ring) | 120 µs | 240 µs | 150, 110, 120 |')
  t.match(text, '| **ratio** ring / raw fsync, p50 (target ≤ 2) | **1.33** | 1.33 | |')
  t.match(text, '100 appends per run.')
  t.match(text, '| 1,000 slots (1.0 MiB file) | 6.0 ms | 0.03 MiB | 32 | 50 MiB | ≤ 0 |')
  t.match(text, '| 100,000 slots (97.7 MiB file) | 110.0 ms | 3.05 MiB | 32 | 50 MiB | ≤ 0 |')
})

t.test('the run\'s head', async t => {
  t.equal(renderRun(runFigures()), 'Measured by `npm run bench` on 2026-12-07 (3.5 min). Each figure is the median of 3 runs (the drain: one run).\n' +
    'Machine: 2 × Test CPU, 8 GiB RAM, Node v20.0.0; 1-minute load average 0.5 before the bench and 1.5 after it.\n')
})

t.test('blocks: only what is between a block\'s markers changes', async t => {
  const doc = '# B\n\n<!-- bench:ring -->\nold\n<!-- /bench:ring -->\n\nprose by hand\n\n<!-- bench:run -->\n<!-- /bench:run -->\n'
  const next = replaceBlock(doc, 'ring', '| new |\n')
  t.equal(next, '# B\n\n<!-- bench:ring -->\n\n| new |\n\n<!-- /bench:ring -->\n\nprose by hand\n\n<!-- bench:run -->\n<!-- /bench:run -->\n')
  t.equal(replaceBlock(next, 'ring', '| new |\n'), next, 'writing the same block again changes nothing')
  t.equal(readBlock(next, 'ring'), '| new |')
  t.throws(() => replaceBlock(doc, 'drain', 'x'), /no block <!-- bench:drain --> \.\.\. <!-- \/bench:drain -->/)
  t.throws(() => replaceBlock(doc + doc, 'ring', 'x'), /there twice/)
})

t.test('figures saved and read back render the same blocks', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-bench-figures-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const figures = { run: runFigures(), ingest: ingestFigures(), mosquitto: mosquittoFigures(), latency: latencyFigures(), ring: ringFigures() }
  t.same(saveFigures(dir, figures).map(f => f.slice(dir.length + 1)), ['run.json', 'ingest.json', 'mosquitto.json', 'latency.json', 'ring.json'])
  const back = loadFigures(dir, ['run', 'ingest', 'mosquitto', 'latency', 'ring'])
  t.same([...renderBlocks(back)], [...renderBlocks(figures)])
  t.equal(back.ingest?.measuredAt, AT)
  t.match(readFileSync(join(dir, 'ring.json'), 'utf8'), '"p50": 150', 'indented JSON')
  t.equal(figuresJson({ xs: [1, 2.5, null] }), '{\n  "xs": [1, 2.5, null]\n}\n', 'a list of numbers on one line')
  writeFileSync(join(dir, 'ring.json'), '{"measuredAt": "x"}')
  t.throws(() => loadFigures(dir, ['ring']), /ring\.json holds no ring figures \(no ring, fsync, recoveries\)/)
  t.throws(() => loadFigures(dir, ['drain']), /cannot read the drain figures .*drain\.json/)
})

t.test('docs/BENCHMARKS.md holds the tables its saved figures render', async t => {
  const doc = readFileSync(new URL('BENCHMARKS.md', DOCS), 'utf8')
  const blocks = renderBlocks(loadFigures(fileURLToPath(new URL('bench', DOCS)), FIGURES_NAMES))
  t.same([...blocks.keys()], BLOCKS)
  for (const [name, block] of blocks) t.equal(readBlock(doc, name), block.trim(), `${name}: BENCH_RENDER_ONLY=1 npm run bench writes it again`)
})
