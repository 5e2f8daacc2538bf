/**
 * `punchline sim --scenario NAME | --file FILE`: runs a scenario in virtual time with an embedded gateway
 * and upstream, shows a live progress line, prints the summary, writes the HTML report, and exits 1 on
 * any unexplained loss, duplicate or failed expectation. The quick run and the demo play their generated
 * scenarios through the same `playScenario` (sim/quick-scenario.ts).
 */
import { parseDuration, DURATION_HINT } from './scenario/duration.js'
import { listScenarios, namedScenario } from './scenario/library.js'
import { loadScenario } from './scenario/parse.js'
import { scaleScenario } from './workload/scale.js'
import { runScenario } from './engine/engine.js'
import { connectLite } from './fleet/lite-client.js'
import { ProgressLine } from './report/progress.js'
import { formatSummary } from './report/summary.js'
import { writeReport } from './report/write.js'
import { scenarioDevices } from './scenario/devices.js'
import type { Scenario } from './scenario/types.js'
import { readFileSync } from 'node:fs'

/** How a scenario is played and reported, whichever way it was made (a file, the library, the quick run). */
export interface PlayOptions {
  report?: string
  client?: string
  transport?: string
  settleMs?: number
  /** virtual ms the drain may take (the engine's default otherwise) */
  drainMs?: number
  keep?: boolean
  /** remote mode: a site's real gateway, and a JSON file of device id → secret */
  broker?: string
  secrets?: string
}

export interface ScenarioCliOptions extends PlayOptions {
  scenario?: string
  file?: string
  list?: boolean
  seed?: number
  duration?: string
  /** factors above 0 and ms, checked by the command line (sim/cli.ts) */
  devicesScale?: number
  staffScale?: number
}

/** Fleets larger than this use the simulator's light MQTT client (sim/fleet/lite-client.ts) by default. */
const LITE_ABOVE = 200
/** Fleets larger than this use in-process site links by default (embedded gateway only). */
const MEMORY_ABOVE = 2000

export async function runScenarioCli (o: ScenarioCliOptions, out: (line: string) => void): Promise<number> {
  if (o.list === true) {
    for (const e of listScenarios()) out(`${e.name.padEnd(18)} ${e.description}`)
    return 0
  }
  let s = o.file !== undefined ? loadScenario(o.file) : namedScenario(o.scenario!)
  let durationMs: number | undefined
  if (o.duration !== undefined) {
    const d = parseDuration(o.duration)
    if (typeof d !== 'number') throw new Error(`--duration: ${DURATION_HINT}`)
    durationMs = d
  }
  if (o.seed !== undefined) s = { ...s, seed: o.seed }
  const deviceFactor = o.devicesScale
  const staffFactor = o.staffScale
  if (durationMs !== undefined || deviceFactor !== undefined || staffFactor !== undefined) s = scaleScenario(s, { durationMs, deviceFactor, staffFactor })
  return await playScenario(s, o, out)
}

/**
 * Plays a scenario with the embedded gateway and upstream (or against `broker`): the live progress line,
 * the summary, the HTML report. Returns the exit status: 0 when every punch is accounted for.
 */
export async function playScenario (s: Scenario, o: PlayOptions, out: (line: string) => void): Promise<number> {
  const devices = scenarioDevices(s).length
  const client = o.client ?? (devices > LITE_ABOVE ? 'lite' : 'mqttjs')
  if (client !== 'lite' && client !== 'mqttjs') throw new Error("--client: must be 'lite' or 'mqttjs'")
  // Past a few thousand devices an embedded run over TCP needs more file descriptors than a process gets
  // (fakes/link/memory-wire.ts); in-process links carry the same MQTT bytes.
  const transport = o.transport ?? (devices > MEMORY_ABOVE && o.broker === undefined ? 'memory' : 'tcp')
  if (transport !== 'tcp' && transport !== 'memory') throw new Error("--transport: must be 'tcp' or 'memory'")
  if (transport === 'memory' && o.broker !== undefined) throw new Error('--transport memory: a remote gateway (--broker) is reached over TCP')
  if (transport === 'memory' && o.client === 'mqttjs') throw new Error('--transport memory: needs --client lite (MQTT.js opens its own sockets)')

  const progress = new ProgressLine({
    startMs: s.startMs,
    endMs: s.startMs + s.durationMs,
    tzMinutes: s.sites[0]?.tz ?? 0,
    devices,
    write: (text) => process.stdout.write(text),
    isTTY: process.stdout.isTTY === true
  })
  out(`sim: ${s.name} (seed ${s.seed}): ${s.sites.length} site(s), ${devices} devices, ${s.faults.length} fault(s), ${transport === 'memory' || client === 'lite' ? 'light' : 'MQTT.js'} clients${transport === 'memory' ? ' on in-process links' : ''}` +
    (o.broker === undefined ? ', embedded gateway and upstream' : `, against ${o.broker} (acknowledged = delivered)`))
  const { report, dir } = await runScenario(s, {
    onSample: (x) => progress.update(x),
    connect: client === 'lite' ? connectLite : undefined,
    transport,
    settleMs: o.settleMs,
    drainMs: o.drainMs,
    keep: o.keep,
    remote: o.broker === undefined
      ? undefined
      : { url: o.broker, secrets: o.secrets === undefined ? {} : JSON.parse(readFileSync(o.secrets, 'utf8')) as Record<string, string> }
  })
  progress.done()
  out('')
  out(formatSummary(report))
  if (o.report !== undefined) out(`report: ${await writeReport(o.report, report)}`)
  if (dir !== undefined) out(`kept: ${dir} (gateway database, sim.log)`)
  return report.ok ? 0 : 1
}
