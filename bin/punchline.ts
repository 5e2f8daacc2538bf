#!/usr/bin/env node
/**
 * The `punchline` command: one entry, a subcommand per part. Each subcommand lives beside its part
 * (gateway/cli, sim/cli); this file only dispatches.
 */
import { runGateway, GATEWAY_USAGE } from '../gateway/cli/gateway.js'
import { runDevices, DEVICES_USAGE } from '../gateway/cli/devices.js'
import { runDeadLetters, DEADLETTERS_USAGE } from '../gateway/cli/deadletters-cmd.js'
import { runBackup, runRestore, BACKUP_USAGE } from '../gateway/cli/backup.js'
import { runSim, SIM_USAGE } from '../sim/cli.js'
import { runDemo } from '../sim/demo.js'
import { runDevice, DEVICE_USAGE } from '../device/cli/device.js'
import { runDoctor, DOCTOR_USAGE } from '../device/cli/doctor.js'

const USAGE = `usage:
${GATEWAY_USAGE}
${DEVICES_USAGE}
${DEADLETTERS_USAGE}
${BACKUP_USAGE}
${DEVICE_USAGE}
${DOCTOR_USAGE}
${SIM_USAGE}
punchline demo`

const out = (line: string): void => { process.stdout.write(line + '\n') }

async function main (argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  switch (cmd) {
    case 'gateway': return await runGateway(rest)
    case 'devices': return await runDevices(rest, out)
    case 'deadletters': return await runDeadLetters(rest, out)
    case 'backup': return await runBackup(rest, out)
    case 'restore': return await runRestore(rest, out)
    case 'device': return await runDevice(rest, out)
    case 'doctor': return await runDoctor(rest, out)
    case 'sim': return await runSim(rest, out)
    case 'demo': return await runDemo(out)
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out(USAGE)
      return cmd === undefined ? 2 : 0
    default:
      process.stderr.write(`punchline: unknown command '${cmd}'\n${USAGE}\n`)
      return 2
  }
}

main(process.argv.slice(2)).then(code => {
  // -1: a long-running command (the gateway) that exits by itself on a signal.
  if (code >= 0) process.exitCode = code
}, (err: Error) => {
  process.stderr.write(`punchline: ${err.message}\n`)
  process.exitCode = 1
})
