/**
 * Every section's figures of one bench run, as the JSON files of docs/bench/ hold them (one file a
 * measurement: run, ingest, mosquitto, latency, ring, drain, shapes, cluster), and the reading back of those files.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ClusterFigures } from './cluster-figures.js'
import type { DrainFigures } from './drain-figures.js'
import type { IngestFigures } from './ingest.js'
import type { ShapesFigures } from './ingest-shapes-figures.js'
import type { LatencyFigures } from './latency.js'
import type { MosquittoFigures } from './mosquitto.js'
import type { RingFigures } from './ring.js'
import type { RunFigures } from './run-render.js'

export interface BenchFigures {
  run?: RunFigures
  ingest?: IngestFigures
  mosquitto?: MosquittoFigures
  latency?: LatencyFigures
  ring?: RingFigures
  drain?: DrainFigures
  shapes?: ShapesFigures
  cluster?: ClusterFigures
}

export type FiguresName = keyof BenchFigures

/** The fields a file must hold to be read as that measurement's figures. */
const REQUIRED: Record<FiguresName, string[]> = {
  run: ['measuredAt', 'machine', 'runs', 'drainRuns'],
  ingest: ['measuredAt', 'shape', 'runs', 'passthrough'],
  mosquitto: ['measuredAt', 'shape', 'outcome'],
  latency: ['measuredAt', 'shape', 'runs'],
  ring: ['measuredAt', 'ring', 'fsync', 'recoveries'],
  drain: ['measuredAt', 'shape', 'setting', 'outcome'],
  shapes: ['measuredAt', 'shapes', 'commitThread', 'runs'],
  cluster: ['measuredAt', 'shape', 'forward', 'runs']
}

export const FIGURES_NAMES = Object.keys(REQUIRED) as FiguresName[]

/** Indented JSON with each list of numbers on one line: a drain's thousands of request times stay readable. */
export function figuresJson (value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\[\n[\s\d.eE+\-,null]*?\]/g, list => list.replace(/\s+/g, ' ').replace('[ ', '[').replace(' ]', ']')) + '\n'
}

export function saveFigures (dir: string, figures: BenchFigures): string[] {
  mkdirSync(dir, { recursive: true })
  return FIGURES_NAMES.filter(name => figures[name] !== undefined).map(name => {
    const file = join(dir, `${name}.json`)
    writeFileSync(file, figuresJson(figures[name]))
    return file
  })
}

/** The named figures from `dir`; a file missing, unreadable or without its fields stops with its name. */
export function loadFigures (dir: string, names: FiguresName[]): BenchFigures {
  const figures: Record<string, unknown> = {}
  for (const name of names) {
    const file = join(dir, `${name}.json`)
    let value: unknown
    try {
      value = JSON.parse(readFileSync(file, 'utf8'))
    } catch (err) {
      throw new Error(`cannot read the ${name} figures ${file}: ${(err as Error).message}`)
    }
    const missing = typeof value === 'object' && value !== null ? REQUIRED[name].filter(k => !(k in value)) : REQUIRED[name]
    if (missing.length > 0) throw new Error(`${file} holds no ${name} figures (no ${missing.join(', ')})`)
    figures[name] = value
  }
  return figures as BenchFigures
}
