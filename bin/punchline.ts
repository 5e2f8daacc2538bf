#!/usr/bin/env node
/**
 * The `punchline` command: one entry, a subcommand per part. Each subcommand lives beside its part
 * (gateway/cli, sim/cli); this file only dispatches.
 */
const out = (line: string): void => { process.stdout.write(line + '\n') }

/**
 * Each subcommand is loaded only when it runs: the device side pulls in serialport and node-ble, the
 * simulator the whole stack, and an operator's `punchline roster list` should not pay for them.
 */
const COMMANDS: Record<string, () => Promise<(argv: string[]) => Promise<number>>> = {
  gateway: async () => { const m = await import('../gateway/cli/gateway.js'); return async a => await m.runGateway(a, out) },
  devices: async () => { const m = await import('../gateway/cli/devices.js'); return async a => await m.runDevices(a, out) },
  deadletters: async () => { const m = await import('../gateway/cli/deadletters-cmd.js'); return async a => await m.runDeadLetters(a, out) },
  backup: async () => { const m = await import('../gateway/cli/backup.js'); return async a => await m.runBackup(a, out) },
  restore: async () => { const m = await import('../gateway/cli/backup.js'); return async a => await m.runRestore(a, out) },
  report: async () => { const m = await import('../gateway/cli/report.js'); return async a => await m.runReport(a, out) },
  alarms: async () => { const m = await import('../gateway/cli/alarms.js'); return async a => await m.runAlarms(a, out) },
  roster: async () => { const m = await import('../gateway/cli/roster.js'); return async a => await m.runRoster(a, out) },
  operators: async () => { const m = await import('../gateway/cli/operators.js'); return async a => await m.runOperators(a, out) },
  terminals: async () => { const m = await import('../gateway/cli/terminals.js'); return async a => await m.runTerminals(a, out) },
  'broker-auth': async () => { const m = await import('../gateway/cli/broker-auth.js'); return async a => await m.runBrokerAuth(a, out) },
  nodes: async () => { const m = await import('../gateway/cli/nodes.js'); return async a => await m.runNodes(a, out) },
  console: async () => { const m = await import('../gateway/cli/console.js'); return async a => await m.runConsole(a) },
  device: async () => { const m = await import('../device/cli/device.js'); return async a => await m.runDevice(a, out) },
  doctor: async () => { const m = await import('../device/cli/doctor.js'); return async a => await m.runDoctor(a, out) },
  sim: async () => { const m = await import('../sim/cli.js'); return async a => await m.runSim(a, out) },
  demo: async () => { const m = await import('../sim/demo.js'); return async () => await m.runDemo(out) }
}

async function usage (): Promise<string> {
  const [g, d, dl, b, r, ro, dev, doc, sim, al, op, te, ba, no, co] = await Promise.all([
    import('../gateway/cli/gateway.js'), import('../gateway/cli/devices.js'), import('../gateway/cli/deadletters-cmd.js'),
    import('../gateway/cli/backup.js'), import('../gateway/cli/report.js'), import('../gateway/cli/roster.js'),
    import('../device/cli/device.js'), import('../device/cli/doctor.js'), import('../sim/cli.js'), import('../gateway/cli/alarms.js'),
    import('../gateway/cli/operators.js'), import('../gateway/cli/terminals.js'), import('../gateway/cli/broker-auth.js'),
    import('../gateway/cli/nodes.js'), import('../gateway/cli/console.js')
  ])
  return ['usage:', g.GATEWAY_USAGE, d.DEVICES_USAGE, dl.DEADLETTERS_USAGE, b.BACKUP_USAGE, r.REPORT_USAGE, al.ALARMS_USAGE, ro.ROSTER_USAGE, op.OPERATORS_USAGE, te.TERMINALS_USAGE, ba.BROKER_AUTH_USAGE, no.NODES_USAGE, co.CONSOLE_USAGE,
    dev.DEVICE_USAGE, doc.DOCTOR_USAGE, sim.SIM_USAGE, 'punchline demo'].join('\n')
}

async function main (argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  const load = cmd === undefined ? undefined : COMMANDS[cmd]
  if (load !== undefined) return await (await load())(rest)
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    out(await usage())
    return cmd === undefined ? 2 : 0
  }
  process.stderr.write(`punchline: unknown command '${cmd}'\n${await usage()}\n`)
  return 2
}

main(process.argv.slice(2)).then(code => {
  // -1: a long-running command (the gateway) that exits by itself on a signal.
  if (code >= 0) process.exitCode = code
}, (err: Error) => {
  process.stderr.write(`punchline: ${err.message}\n`)
  process.exitCode = 1
})
