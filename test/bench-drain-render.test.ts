/**
 * The drain bench's analysis and section (bench/drain-analysis.ts, bench/drain-render.ts) from figures
 * made by hand (test/fixtures/drain-figures.ts): the medians and verdicts, the table and timeline, the
 * prose's branches, and the same section from the figures read back from JSON. Nothing is measured here.
 */
import t from 'tap'
import { analyseDrain, MB } from '../bench/drain-analysis.js'
import type { DrainFigures } from '../bench/drain-figures.js'
import { renderDrain } from '../bench/drain-render.js'
import { drainFigures, fleetRun } from './fixtures/drain-figures.js'

const TOTAL = 100_000

/** One run whose drain comes online at 10 s, is acked at 20 s and at the upstream at 70 s. */
const slowForward = (gatewayCpu: number): DrainFigures => drainFigures({
  outcome: {
    runs: [{
      rawS: 5,
      idle: fleetRun(0, { onlineS: 3, ackedS: null, deliveredS: null, peakMb: 260, gatewayCpu: 2, attempts: 1000, connacks: 1000 }),
      stored: fleetRun(TOTAL, { onlineS: 8, ackedS: 9, deliveredS: null, peakMb: 200, gatewayCpu: 6, attempts: 1000, connacks: 1000 }),
      drain: fleetRun(TOTAL, { onlineS: 10, ackedS: 20, deliveredS: 70, peakMb: 280, gatewayCpu, attempts: 1010, connacks: 1000, requestSize: 300 })
    }]
  }
})

t.test('analysis: medians over runs, the median run, ratios and verdicts', async t => {
  const a = analyseDrain(drainFigures())
  if (a === undefined) throw new Error('no analysis')
  t.equal(a.total, TOTAL)
  t.equal(a.runs, 3)
  t.same(a.table.deliveredS, { median: 14, runs: [14, 12, 30] })
  t.same(a.table.storedAckedS.runs, [9, 9, 9])
  t.equal(a.table.drainPeakRss.median, 250 * MB)
  t.equal(a.medianRun.deliveredS, 14, 'the run with the median drain time speaks for the figure')
  t.equal(a.medianRun.step, 10, 'a drain under two minutes is shown every 10 s')
  t.same(a.medianRun.timeline.map(r => r.t), [10, 14], 'the timeline at each mark and its last sample')
  t.equal(a.medianRun.requests, 200)
  t.equal(a.medianRun.fullRequests, 200)
  t.equal(a.ratios.toRaw, 14 / 4)
  t.ok(a.ratios.secondsMet)
  t.ok(a.ratios.rssMet)
  t.equal(a.connects.drainFailed, 200)
  t.equal(a.connects.connackTimeoutS, 30, 'the uplink\'s own wait when the shape sets none')
  t.equal(a.connects.cpuPerConnect, 1 / 1000)
  t.equal(a.cpu.requests, 200)
  t.equal(a.cpu.floor, 10 - 1200 / 1000 + 1000 / 1000)
  t.same(a.verdicts, { pacedByConnects: true, wastedConnects: true, upstreamKeptUp: true, floorOverTarget: false, rssTight: false })
})

t.test('analysis: nothing to say without runs', async t => {
  t.equal(analyseDrain(drainFigures({ outcome: { skipped: 'ulimit -n is 1024' } })), undefined)
  t.equal(analyseDrain(drainFigures({ outcome: { runs: [], failed: 'run 1: the gateway exited (1)' } })), undefined)
})

t.test('section: the table and timeline from the figures', async t => {
  const text = renderDrain(drainFigures())
  t.match(text, /^1,000 devices × 100 punches\.\n/)
  t.match(text, '| **drain: every punch at the upstream** (target ≤ 45 s) | **14.0 s** | 14.0, 12.0, 30.0 |')
  t.match(text, '| **gateway peak RSS** (VmHWM) in the drain (target < 300 MB) | **250 MB** | 250, 250, 320 |')
  t.match(text, '| gateway peak RSS, 1,000 idle connections (started at 70 MB) | 120 MB | 120, 120, 120 |')
  t.match(text, '| against the targets | 0.31 of 45 s (met); 0.83 of 300 MB (met) | |')
  t.match(text, 'Medians of 3 runs')
  t.match(text, '| 10 s | 769 | 76,923 | 71,429 | 71 % |\n| 14 s | 1,000 | 100,000 | 100,000 | 71 % |\n')
  t.match(text, 'a CONNACK awaited 30 s) over')
  t.match(text, 'libuv 1.48.0, Node\'s I/O layer')
  t.match(text, '(measured here: with 100 connections waiting, a turn of\nthis Node\'s loop accepted 1)')
  t.match(text, 'The drain ended 1.0 s after the last device came online')
  t.match(text, 'Those waiting past the device\'s CONNACK timeout are given up by the device')
  t.match(text, 'Punches reached the upstream at most')
  t.notMatch(text, 'n/a', 'every figure the prose uses is there')
  t.match(text, 'the garbage of 100,000\npunches passing through', 'the punches of this shape, not of the default one')
})

t.test('section: the prose follows the verdicts', async t => {
  const slow = renderDrain(slowForward(100))
  t.match(slow, 'One run (')
  t.match(slow, 'The last device was online at 10.0 s, the last punch at the upstream at 70.0 s.')
  t.notMatch(slow, 'Those waiting past the device\'s CONNACK timeout', 'ten failed attempts of a thousand devices waste little')
  t.match(slow, 'Punches reached the upstream up to 50.0 s after they were acked')
  t.match(slow, '**What limits it.** Forwarding while the devices still send.', 'connections wasted little, the upstream lagged')
  // 100 s of CPU in 70 s: the gateway's threads were on both cores.
  t.match(slow, 'is 100.0 s of CPU, more than the 45 s target on one core; the commit thread and the checkpointer carry part of it')
  t.match(slow, 'was on a core 143 % of the time (its threads together)')
  const oneCore = renderDrain(slowForward(60))
  t.match(oneCore, 'is 60.0 s of CPU on one core, more than the 45 s target before any fsync or wait')
  t.match(oneCore, 'was on a core 86 % of the time; the rest of the\ntime its one thread was blocked')
  t.match(slow, 'With the connections alone at 87 % of the 300 MB target')
  t.match(slow, '0.93 of 300 MB (met)')
  t.match(slow, '1.56 of 45 s (**missed**)')
  t.match(renderDrain(slowForward(30)), 'inside the 45 s target: the waste in connecting and the fsyncs are what keep the drain out of it')
})

t.test('section: skipped, failed, and the settings the figures were taken with', async t => {
  t.match(renderDrain(drainFigures({ outcome: { skipped: 'ulimit -n is 1024' } })), /^1,000 devices × 100 punches\.\n\nSkipped: ulimit -n is 1024\n$/)
  t.match(renderDrain(drainFigures({ outcome: { runs: [], failed: 'run 1: the gateway exited (1)' } })), /\n\*\*A run failed\*\*: run 1: the gateway exited \(1\)\n$/)
  const f = drainFigures()
  const set = renderDrain({ ...f, shape: { ...f.shape, maxConnecting: 50, connackTimeoutMs: 60_000, forwardBatch: 1000 } })
  t.match(set, '; here `forward.batchSize` 1000')
  t.match(set, 'a CONNACK awaited 60 s (`BENCH_DRAIN_CONNACK_TIMEOUT_MS`)')
  t.match(set, 'at most 50 connecting at once')
  t.match(set, '(0 % full at\n`forward.batchSize` 1000)')
  t.notMatch(renderDrain({ ...f, accept: undefined }), 'measured here')
})

t.test('section: figures read back from JSON render the same section', async t => {
  for (const f of [drainFigures(), slowForward(100), drainFigures({ outcome: { skipped: 'x' } })]) {
    t.equal(renderDrain(JSON.parse(JSON.stringify(f)) as DrainFigures), renderDrain(f))
  }
})
