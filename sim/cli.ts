/**
 * `punchline sim`: the first cut of the simulator's command line.
 */
import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { runSimulation } from './run.js'
import { runScenarioCli } from './scenario-cli.js'
import { HARDWARE_OPTIONS, parseHardwareOptions, refuseHardwareFlags } from './hardware-mode/options.js'

export const SIM_USAGE = `punchline sim (--scenario NAME | --file SCENARIO.yaml) [--report REPORT.html] [--seed N] [--duration 24h]
              [--devices-scale 0.5] [--staff-scale 2] [--client lite|mqttjs] [--transport tcp|memory] [--keep]     (docs/SCENARIOS.md)
              [--broker mqtt://GATEWAY:1883 --secrets SECRETS.json]   (a site's real gateway instead of the embedded one)
punchline sim --list
punchline sim --hardware rdm6300|wiegand|r307[,gps] [--scenario NAME | --file F] [--device ID] [--reads N] [--every-ms 300]
              [--line-faults 0.1] [--unplug-every N] [--external] [--pty-dir DIR] [--report FILE.json] [--seed N] [--keep]
              (a real punchline device reading fake hardware on PTYs)
punchline sim [--devices 20] [--punches 30] [--interval-ms 200] [--outage-at-ms 2000 --outage-ms 4000]
              [--capacity 1000] [--policy refuse|overwrite-oldest] [--drain-timeout-ms 60000] [--seed 1]
              [--broker mqtt://HOST:PORT --secrets FILE.json] [--keep]`

function int (v: string | undefined, name: string, def: number): number {
  if (v === undefined) return def
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: must be a whole number >= 0 (got '${v}')`)
  return n
}

export async function runSim (argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      devices: { type: 'string' },
      punches: { type: 'string' },
      'interval-ms': { type: 'string' },
      'outage-at-ms': { type: 'string' },
      'outage-ms': { type: 'string' },
      capacity: { type: 'string' },
      policy: { type: 'string' },
      'drain-timeout-ms': { type: 'string' },
      seed: { type: 'string' },
      broker: { type: 'string' },
      secrets: { type: 'string' },
      keep: { type: 'boolean' },
      scenario: { type: 'string' },
      file: { type: 'string' },
      list: { type: 'boolean' },
      report: { type: 'string' },
      duration: { type: 'string' },
      'devices-scale': { type: 'string' },
      'staff-scale': { type: 'string' },
      client: { type: 'string' },
      transport: { type: 'string' },
      'settle-ms': { type: 'string' },
      ...HARDWARE_OPTIONS
    },
    strict: true
  })
  if (values.hardware !== undefined) {
    const { runHardwareMode } = await import('./hardware-mode/run.js')
    return await runHardwareMode(parseHardwareOptions(values), out)
  }
  refuseHardwareFlags(values)
  if (values.scenario !== undefined || values.file !== undefined || values.list === true) {
    return await runScenarioCli({
      scenario: values.scenario,
      file: values.file,
      list: values.list,
      report: values.report,
      seed: values.seed,
      duration: values.duration,
      devicesScale: values['devices-scale'],
      staffScale: values['staff-scale'],
      client: values.client,
      transport: values.transport,
      settleMs: values['settle-ms'],
      keep: values.keep,
      broker: values.broker,
      secrets: values.secrets
    }, out)
  }
  const policy = values.policy ?? 'refuse'
  if (policy !== 'refuse' && policy !== 'overwrite-oldest') throw new Error('--policy: must be refuse or overwrite-oldest')
  const outageMs = int(values['outage-ms'], 'outage-ms', 0)
  const result = await runSimulation({
    devices: Math.max(1, int(values.devices, 'devices', 20)),
    punchesPerDevice: int(values.punches, 'punches', 30),
    intervalMs: int(values['interval-ms'], 'interval-ms', 200),
    outage: outageMs > 0 ? { atMs: int(values['outage-at-ms'], 'outage-at-ms', 2000), forMs: outageMs } : undefined,
    ringCapacity: Math.max(2, int(values.capacity, 'capacity', 1000)),
    policy,
    drainTimeoutMs: int(values['drain-timeout-ms'], 'drain-timeout-ms', 60_000),
    broker: values.broker,
    secrets: values.secrets === undefined ? undefined : JSON.parse(readFileSync(values.secrets, 'utf8')) as Record<string, string>,
    seed: int(values.seed, 'seed', 1),
    keep: values.keep,
    out
  })
  out(result.clean ? '\nsim: every punch accounted for' : '\nsim: UNEXPLAINED LOSS OR DUPLICATES (see above)')
  return result.clean ? 0 : 1
}
