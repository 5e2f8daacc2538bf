/**
 * `punchline device --config FILE`: runs a device until SIGTERM/SIGINT. Prints one line per read (the
 * terminal's feedback), logs JSON to stderr, and takes "sync now" from SIGUSR1 or a `sync` line typed
 * at a keypad input reading standard input.
 */
import { defineCommand } from '../../shared/cli.js'
import { createLogger } from '../../shared/log.js'
import { loadDeviceConfig } from '../config.js'
import { DeviceRuntime } from '../runtime.js'
import { createInputs } from '../inputs/index.js'
import { readBattery } from '../battery.js'
import { formatOutcome } from './feedback.js'

export const DEVICE_COMMAND = defineCommand({
  usage: ['punchline device --config [--json]'],
  flags: { config: { type: 'string', value: 'FILE' }, json: { type: 'boolean' } }
})
export const DEVICE_USAGE = DEVICE_COMMAND.usage

export async function runDevice (argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = DEVICE_COMMAND.parse(argv)
  if (values.config === undefined) throw new Error('usage: ' + DEVICE_USAGE)
  const config = loadDeviceConfig(values.config)
  const log = createLogger({ name: 'punchline-device', level: process.env.PUNCHLINE_LOG_LEVEL }, process.stderr)
  const inputs = createInputs(config.inputs, { log, stdin: process.stdin })
  const runtime = new DeviceRuntime(config, { log, inputs, battery: readBattery })
  runtime.on('outcome', (e) => out(values.json === true ? JSON.stringify(e) : formatOutcome(e)))
  runtime.on('clock', (jump: { byMs: number }) => { if (Math.abs(jump.byMs) > config.clock.jumpWarnMs) out(`clock set by the gateway: moved ${Math.round(jump.byMs / 1000)} s`) })
  await runtime.start()
  out(`device ${config.id} (${config.profile}) running: ring ${config.ring.path}, ${runtime.ring.stats().pending} punches waiting, broker ${config.broker.url}`)

  await new Promise<void>(resolve => {
    let stopping = false
    const stop = (signal: string): void => {
      if (stopping) return
      stopping = true
      log.info({ signal }, 'stopping')
      runtime.stop().then(resolve, (err: Error) => { log.error({ err }, 'stop failed'); resolve() })
    }
    process.on('SIGTERM', () => stop('SIGTERM'))
    process.on('SIGINT', () => stop('SIGINT'))
    process.on('SIGUSR1', () => { log.info('sync now (SIGUSR1)'); runtime.syncNow() })
  })
  return 0
}
