/**
 * The ingest shapes' section (bench/ingest-shapes-render.ts) from figures made by hand: ratios taken
 * within each run, their medians, the verdicts against issue 15's targets, and the same section from the
 * figures read back from JSON. Nothing is measured here.
 */
import t from 'tap'
import type { GatewayLoad, ShapesFigures, ShapesRun } from '../bench/ingest-shapes-figures.js'
import { renderShapes } from '../bench/ingest-shapes-render.js'

const load = (rate: number, over: Partial<GatewayLoad> = {}): GatewayLoad =>
  ({ rate, punches: 10_000, seconds: 10_000 / rate, gatewayCpuS: 0.1, clientCpuS: 0.02, rowsPerCommit: 2500, threads: { loopS: 0.06, busiestOtherS: 0.03, restS: 0.01 }, ...over })

const run = (raw1000: number, w1: number, raw1: number, single: number): ShapesRun =>
  ({ raw100: 100_000, raw1000, window1: load(w1), raw1, single: load(single, { rowsPerCommit: 40 }) })

const figures = (runs: ShapesRun[]): ShapesFigures => ({
  measuredAt: '2026-12-07T03:00:00.000Z',
  shapes: { window1: { devices: 50, batches: 40, batchSize: 100, window: 1 }, single: { devices: 200, batches: 50, batchSize: 1, window: 1 }, rawSingleRows: 2000 },
  commitThread: true,
  runs
})

t.test('ratios per run, medians, verdicts', async t => {
  const text = renderShapes(figures([run(200_000, 120_000, 1000, 4000), run(100_000, 40_000, 2000, 4000), run(150_000, 90_000, 1000, 2000)]))
  t.match(text, '| **ratio** gateway / raw 1000 rows per transaction | **0.60** | 0.60, 0.40, 0.60 |', 'each run against its own baseline')
  t.match(text, '| **ratio** gateway / raw one-row transactions | **2.00** | 4.00, 2.00, 2.00 |')
  t.match(text, 'window 1: 0.60 against ≥ 0.5 (met); one punch a message: 2.00 against ≥ 3 (**missed**)')
  t.match(text, '50 devices × 40 batches of 100')
  t.match(text, 'a commit held 2,500 rows')
  t.match(text, '60 % of it on the event loop, 30 % on the busiest other thread')
  t.match(text, '3 runs, the gateway with `ingest.commitThread` true')
})

t.test('figures without CPU render n/a, and read back from JSON render the same', async t => {
  const f = figures([run(200_000, 120_000, 1000, 4000)])
  f.runs[0].window1.gatewayCpuS = null
  f.runs[0].window1.threads = null
  const text = renderShapes(f)
  t.match(text, 'n/a µs of CPU per punch')
  t.match(text, 'n/a of it on the event loop')
  t.match(text, '1 run,')
  t.equal(renderShapes(JSON.parse(JSON.stringify(f)) as ShapesFigures), text)
})
