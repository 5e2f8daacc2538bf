/**
 * Measures the sections a bench run asks for and returns their figures, nothing rendered. The load
 * sections (the gateway, raw SQLite, aedes alone, mosquitto) interleave their runs so that a drift in the
 * machine (other work on a shared host, a slower disk) hits a figure and its baseline alike.
 */
import { passthroughRun, type PassthroughRun } from './aedes-passthrough.js'
import type { BenchFigures } from './bench-figures.js'
import { measureCluster } from './cluster.js'
import { measureDrain } from './drain.js'
import { ingestRun, LARGE_TXN, punchRows, type IngestFigures, type IngestRun } from './ingest.js'
import { measureLatency } from './latency.js'
import { packageVersion } from './machine.js'
import { findMosquitto, mosquittoRun, type MosquittoFigures, type MosquittoOutcome, type MosquittoRun } from './mosquitto.js'
import { measureRing } from './ring.js'
import { measureShapes } from './ingest-shapes.js'
import type { BenchSettings, Section } from './settings.js'

export async function measureBench (s: BenchSettings, wanted: (section: Section) => boolean, say: (line: string) => void): Promise<BenchFigures> {
  const figures: BenchFigures = {}
  if (wanted('ingest') || wanted('mosquitto')) Object.assign(figures, await measureLoads(s, wanted, say))
  if (wanted('latency')) figures.latency = await measureLatency(s.latency, s.runs, say)
  if (wanted('ring')) figures.ring = await measureRing(s.runs, s.ringAppends, say)
  if (wanted('shapes')) figures.shapes = await measureShapes(s.shapes, s.commitThread, s.runs, say)
  if (wanted('drain')) figures.drain = await measureDrain(s.drain, s.drainRuns, say)
  if (wanted('cluster')) figures.cluster = await measureCluster(s.cluster, s.runs, say)
  return figures
}

/** The gateway's ingest, aedes alone and the mosquitto peer, run after run in turn under the same load. */
async function measureLoads (s: BenchSettings, wanted: (section: Section) => boolean, say: (line: string) => void): Promise<Pick<BenchFigures, 'ingest' | 'mosquitto'>> {
  const measuredAt = new Date().toISOString()
  const ingest: IngestRun[] = []
  const passthrough: PassthroughRun[] = []
  const mosquittoRuns: MosquittoRun[] = []
  const found = findMosquitto()
  let mosquitto: MosquittoOutcome = 'skipped' in found ? found : { ...found, runs: mosquittoRuns }
  if ('skipped' in mosquitto && wanted('mosquitto')) say(`mosquitto figures skipped: ${mosquitto.skipped}`)
  const rows = wanted('ingest') ? punchRows(s.load) : []
  for (let run = 0; run < s.runs; run++) {
    const log = (line: string): void => say(`run ${run + 1}/${s.runs}: ${line}`)
    if (wanted('ingest')) {
      ingest.push(await ingestRun(s.load, rows, log))
      passthrough.push(await passthroughRun(s.load, log))
    }
    if (wanted('mosquitto') && !('skipped' in mosquitto)) {
      try {
        mosquittoRuns.push(await mosquittoRun(mosquitto.binary, s.load, log))
      } catch (err) {
        // The peer is a comparison, not the product: its failure is reported, the rest of the bench goes on.
        mosquitto = { skipped: `mosquitto ${mosquitto.version} failed in run ${run + 1}: ${(err as Error).message}` }
        say(`mosquitto figures skipped: ${mosquitto.skipped}`)
      }
    }
  }
  const out: Pick<BenchFigures, 'ingest' | 'mosquitto'> = {}
  if (wanted('ingest')) {
    out.ingest = { measuredAt, shape: s.load, largeTxn: LARGE_TXN, aedesVersion: packageVersion('aedes'), runs: ingest, passthrough } satisfies IngestFigures
  }
  if (wanted('mosquitto')) out.mosquitto = { measuredAt, shape: s.load, mqttVersion: packageVersion('mqtt'), outcome: mosquitto } satisfies MosquittoFigures
  return out
}
