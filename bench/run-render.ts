/**
 * The head of docs/BENCHMARKS.md: when and on what the figures were measured, and how busy the machine
 * was, from docs/bench/run.json. Pure.
 */
import { fixed } from './stats.js'

export interface RunFigures {
  /** when the bench started (ISO 8601) */
  measuredAt: string
  /** how long the whole bench took */
  minutes: number
  /** runs each figure is the median of (BENCH_RUNS), and the drain's (BENCH_DRAIN_RUNS) */
  runs: number
  drainRuns: number
  /** CPUs, RAM and Node (bench/machine.ts) */
  machine: string
  /** 1-minute load average before and after the bench */
  loadBefore: number
  loadAfter: number
}

export function renderRun (f: RunFigures): string {
  const runs = (n: number): string => n === 1 ? 'one run' : `${n} runs`
  return `Measured by \`npm run bench\` on ${f.measuredAt.slice(0, 10)} (${fixed(f.minutes, 1)} min). Each figure is the median of ${runs(f.runs)} (the drain: ${runs(f.drainRuns)}).
Machine: ${f.machine}; 1-minute load average ${fixed(f.loadBefore, 1)} before the bench and ${fixed(f.loadAfter, 1)} after it.
`
}
