/**
 * `punchline sim`: a scenario (named or a file), the hardware mode, or with neither the quick run, a
 * scenario generated from its flags (sim/quick-scenario.ts).
 */
import { defineCommand } from '../shared/cli.js'
import { playScenario, runScenarioCli } from './scenario-cli.js'
import { quickRun } from './quick-scenario.js'
import { HARDWARE_OPTIONS, parseHardwareOptions, refuseHardwareFlags } from './hardware-mode/options.js'

// No defaults here: the hardware mode refuses the other modes' flags by whether they were given.
export const SIM_COMMAND = defineCommand({
  usage: [
    'punchline sim (--scenario | --file) [--report] [--seed] [--duration]',
    '              [--devices-scale] [--staff-scale] [--client] [--transport] [--settle-ms] [--keep]     (docs/SCENARIOS.md)',
    "              [--broker --secrets]   (a site's real gateway instead of the embedded one)",
    'punchline sim --list',
    'punchline sim --hardware [--scenario | --file] [--device] [--reads] [--every-ms]',
    '              [--line-faults] [--unplug-every] [--external] [--pty-dir] [--report] [--seed] [--keep]',
    '              (a real punchline device reading fake hardware on PTYs; its report is JSON)',
    'punchline sim [--devices] [--punches] [--interval-ms] [--outage-at-ms --outage-ms]',
    '              [--capacity] [--policy] [--drain-timeout-ms] [--seed] [--report] [--keep]',
    '              [--broker --secrets]   (the quick run: a scenario made from these flags, played on the virtual',
    '              clock one punch interval a step; docs/SCENARIOS.md, "The quick run and the demo")'
  ],
  flags: {
    devices: { type: 'whole', value: '20', min: 0 },
    punches: { type: 'whole', value: '30', min: 0 },
    'interval-ms': { type: 'whole', value: '200', min: 0 },
    'outage-at-ms': { type: 'whole', value: '2000', min: 0 },
    'outage-ms': { type: 'whole', value: '4000', min: 0 },
    capacity: { type: 'whole', value: '1000', min: 0 },
    policy: { type: 'string', value: 'refuse|overwrite-oldest' },
    'drain-timeout-ms': { type: 'whole', value: '60000', min: 0 },
    seed: { type: 'whole' },
    broker: { type: 'string', value: 'mqtt://GATEWAY:1883' },
    secrets: { type: 'string', value: 'SECRETS.json' },
    keep: { type: 'boolean' },
    scenario: { type: 'string', value: 'NAME' },
    file: { type: 'string', value: 'SCENARIO.yaml' },
    list: { type: 'boolean' },
    report: { type: 'string', value: 'REPORT.html' },
    duration: { type: 'string', value: '24h' },
    'devices-scale': { type: 'number', value: '0.5', above: 0 },
    'staff-scale': { type: 'number', value: '2', above: 0 },
    client: { type: 'string', value: 'lite|mqttjs' },
    transport: { type: 'string', value: 'tcp|memory' },
    'settle-ms': { type: 'number', value: '3000', above: 0 },
    ...HARDWARE_OPTIONS
  }
})
export const SIM_USAGE = SIM_COMMAND.usage

export async function runSim (argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = SIM_COMMAND.parse(argv)
  if (values.hardware !== undefined) {
    const { runHardwareMode } = await import('./hardware-mode/hardware-run.js')
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
  const seed = values.seed ?? 1
  if (seed < 0) throw new Error(`--seed: must be a whole number >= 0 for this run (got '${seed}')`)
  const quick = quickRun({
    devices: Math.max(1, values.devices ?? 20),
    punchesPerDevice: values.punches ?? 30,
    intervalMs: values['interval-ms'] ?? 200,
    outage: { atMs: values['outage-at-ms'] ?? 2000, forMs: values['outage-ms'] ?? 0 },
    ringCapacity: Math.max(2, values.capacity ?? 1000),
    policy,
    drainTimeoutMs: values['drain-timeout-ms'] ?? 60_000,
    seed
  })
  const status = await playScenario(quick.scenario, {
    ...quick.engine,
    settleMs: values['settle-ms'] ?? quick.engine.settleMs,
    report: values.report,
    client: values.client,
    transport: values.transport,
    keep: values.keep,
    broker: values.broker,
    secrets: values.secrets
  }, out)
  out(status === 0 ? '\nsim: every punch accounted for' : '\nsim: UNEXPLAINED LOSS OR DUPLICATES (see above)')
  return status
}
