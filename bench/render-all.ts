/**
 * Every generated block of docs/BENCHMARKS.md from one run's figures (bench/bench-figures.ts): the run's
 * head, then each section's tables by its own render file. Pure: the same figures give the same blocks,
 * whether just measured or read back from docs/bench/.
 */
import type { BenchFigures } from './bench-figures.js'
import { renderCluster } from './cluster-render.js'
import { renderDrain } from './drain-render.js'
import { renderIngest } from './ingest-render.js'
import { renderShapes } from './ingest-shapes-render.js'
import { renderLatency } from './latency-render.js'
import { renderMosquitto } from './mosquitto-render.js'
import { renderPassthrough } from './passthrough-render.js'
import { renderRing } from './ring-render.js'
import { renderRun } from './run-render.js'

/** The blocks, in the order docs/BENCHMARKS.md holds them. */
export const BLOCKS = ['run', 'ingest', 'passthrough', 'mosquitto', 'shapes', 'latency', 'ring', 'drain', 'cluster'] as const
export type BlockName = typeof BLOCKS[number]

/** The blocks these figures render (a measurement not in them renders none of its blocks). */
export function renderBlocks (f: BenchFigures): Map<BlockName, string> {
  const blocks = new Map<BlockName, string>()
  if (f.run !== undefined) blocks.set('run', renderRun(f.run))
  if (f.ingest !== undefined) {
    blocks.set('ingest', renderIngest(f.ingest))
    blocks.set('passthrough', renderPassthrough(f.ingest))
  }
  if (f.mosquitto !== undefined) blocks.set('mosquitto', mosquittoBlock(f))
  if (f.shapes !== undefined) blocks.set('shapes', renderShapes(f.shapes))
  if (f.latency !== undefined) blocks.set('latency', renderLatency(f.latency))
  if (f.ring !== undefined) blocks.set('ring', renderRing(f.ring))
  if (f.drain !== undefined) blocks.set('drain', renderDrain(f.drain))
  if (f.cluster !== undefined) blocks.set('cluster', renderCluster(f.cluster))
  return blocks
}

/** The peer's ratios are against the gateway's figure of the same run, never of another. */
function mosquittoBlock ({ mosquitto, ingest }: BenchFigures): string {
  if (mosquitto === undefined) return ''
  if (ingest === undefined) return '(The mosquitto figures need the ingest figures of the same run beside them: `BENCH_ONLY=ingest,mosquitto`.)\n'
  if (ingest.measuredAt !== mosquitto.measuredAt) {
    return `(The mosquitto figures, ${mosquitto.measuredAt}, and the ingest figures, ${ingest.measuredAt}, are not from the same run.)\n`
  }
  return renderMosquitto(mosquitto, ingest)
}
