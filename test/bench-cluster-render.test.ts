/**
 * The cluster section (bench/cluster-render.ts) from figures made by hand: each node count's ingest and
 * drain against the raw baseline of its own run, the medians, where the time went, and the same section
 * from the figures read back from JSON. Nothing is measured here.
 */
import t from 'tap'
import type { ClusterCpu, ClusterFigures, ClusterRun } from '../bench/cluster-figures.js'
import { renderCluster } from '../bench/cluster-render.js'

const cpu = (nodes: number): ClusterCpu => ({ nodes, postgres: 1, other: 0.1, client: 0.2 })

const run = (raw1000: number, ingest: number[], drain: number[]): ClusterRun => ({
  raw: [raw1000 / 3, raw1000],
  ingest: ingest.map((rate, i) => ({ nodes: i + 1, rate, punches: 100_000, seconds: 100_000 / rate, cpu: cpu(i + 1), commits: 100, walSyncs: 200, walMB: 50 })),
  drain: drain.map((rate, i) => ({ nodes: i + 1, rate, punches: 50_000, seconds: 50_000 / rate, copies: i, requests: 100, cpu: cpu(0.5) }))
})

const figures = (runs: ClusterRun[]): ClusterFigures => ({
  measuredAt: '2026-12-07T13:00:00.000Z',
  shape: { ingest: { devices: 200, batches: 5, batchSize: 100, window: 1 }, drainPunches: 50_000, drainPerDevice: 300, nodes: [1, 2, 3], rawBatches: [100, 1000] },
  postgresVersion: '15.18',
  mosquittoVersion: '2.0.11',
  forward: { batchSize: 500, concurrency: 2 },
  runs
})

t.test('each figure against the raw baseline of its own run, then the median', async t => {
  const text = renderCluster(figures([
    run(20_000, [10_000, 16_000, 20_000], [5000, 8000, 10_000]),
    run(10_000, [8000, 9000, 9000], [4000, 4000, 4000]),
    run(40_000, [20_000, 20_000, 20_000], [10_000, 10_000, 10_000])
  ]))
  t.match(text, '| raw `pg`, one connection, 1,000 rows per multi-row INSERT and transaction | 20,000 rows/s | 20,000, 10,000, 40,000 |')
  t.match(text, '| **ratio** ingest 1 / raw 1,000 | **0.50** | 0.50, 0.80, 0.50 |')
  t.match(text, '| **ratio** ingest 3 / raw 1,000 | **0.90** | 1.00, 0.90, 0.50 |')
  t.match(text, '| **ratio** drain 2 / raw 1,000 | **0.40** | 0.40, 0.40, 0.25 |')
  t.match(text, '200 devices × 5 batches of 100 punches')
  t.match(text, '| 1 | 1,000 |', 'punches a commit: 100,000 punches in 100 commits')
  t.match(text, 'PostgreSQL 15.18 and Mosquitto 2.0.11')
  t.match(text, 'nodes 10.0, PostgreSQL 10.0, mosquitto 1.0, bench 2.0; 0.23 cores', 'ingest, one node: CPU per punch and all together in cores')
  t.match(text, '3 runs')
  t.notMatch(text, 'load average', 'no load average when the figures hold none')
  t.match(renderCluster({ ...figures([run(20_000, [1, 2, 3], [1, 2, 3])]), loadBefore: 1.25, loadAfter: 2 }), '(1-minute load average 1.3 before, 2.0 after)')
})

t.test('figures without CPU or database counts render n/a, and read back from JSON render the same', async t => {
  const f = figures([run(20_000, [10_000, 16_000, 20_000], [5000, 8000, 10_000])])
  f.runs[0].ingest[0].commits = null
  f.runs[0].ingest[0].cpu.postgres = null
  const text = renderCluster(f)
  t.match(text, '| 1 | n/a |')
  t.match(text, 'PostgreSQL n/a, mosquitto')
  t.match(text, '1 run:')
  t.equal(renderCluster(JSON.parse(JSON.stringify(f)) as ClusterFigures), text)
})
