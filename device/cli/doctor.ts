/**
 * `punchline doctor --config FILE [--listen-ms 3000] [--json]`: runs device/doctor.ts and prints its
 * verdicts; exits 1 when something must be fixed.
 */
import { defineCommand } from '../../shared/cli.js'
import { createLogger } from '../../shared/log.js'
import { loadDeviceConfig } from '../config.js'
import { createInputs } from '../inputs/index.js'
import { bleAdapter, formatChecks, runChecks } from '../doctor.js'

export const DOCTOR_COMMAND = defineCommand({
  usage: ['punchline doctor --config [--listen-ms] [--json]'],
  flags: { config: { type: 'string', value: 'FILE' }, 'listen-ms': { type: 'whole', default: 3000, min: 0, max: 600_000 }, json: { type: 'boolean' } }
})
export const DOCTOR_USAGE = DOCTOR_COMMAND.usage

export async function runDoctor (argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = DOCTOR_COMMAND.parse(argv)
  if (values.config === undefined) throw new Error('usage: ' + DOCTOR_USAGE)
  let config
  try {
    config = loadDeviceConfig(values.config)
  } catch (err) {
    out(`FAIL  config  ${(err as Error).message}`)
    return 1
  }
  const listenMs = values['listen-ms']
  const log = createLogger({ name: 'punchline-doctor', level: process.env.PUNCHLINE_LOG_LEVEL ?? 'warn' }, process.stderr)
  // Keypad inputs read standard input, which the doctor does not own: they are left out.
  const inputs = createInputs(config.inputs.filter(i => i.kind !== 'keypad'), { log, stdin: process.stdin })
  const hasBle = config.inputs.some(i => i.kind === 'ble')
  const checks = await runChecks(config, { log, inputs, listenMs, bleAdapter: hasBle ? bleAdapter : undefined })
  out(values.json === true ? JSON.stringify(checks, null, 2) : formatChecks(checks))
  return checks.some(c => c.verdict === 'fail') ? 1 : 0
}
