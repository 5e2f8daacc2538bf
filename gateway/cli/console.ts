/**
 * `punchline console --cluster --config node.json --data DIR [--http-port N]`: the web console and /api/v1
 * for a cluster (gateway/cluster/console/cluster-console.ts), until SIGTERM/SIGINT. DIR holds the console's
 * own operators, sessions and audit log (`punchline operators add NAME --role admin --data DIR` makes the
 * first admin); the cluster's views come from its shared store (cluster.postgres of --config). A single box
 * serves its console itself (`punchline gateway`).
 */
import { defineCommand } from '../../shared/cli.js'
import { createLogger } from '../../shared/log.js'
import { loadConfig } from '../config.js'
import { DataDirInUse } from '../store/data-dir-lock.js'
import { EXIT_STORE_UNAVAILABLE } from './gateway.js'
import { stopOnSignals } from './stop-on-signal.js'

export const CONSOLE_COMMAND = defineCommand({
  usage: ['punchline console --cluster [--config] [--data] [--http-port]'],
  flags: {
    config: { type: 'string', value: 'FILE' },
    data: { type: 'string', value: 'DIR' },
    'http-port': { type: 'whole', value: '8080', min: 0, max: 65535 },
    // the cluster whose shared store (cluster.postgres of --config) the console shows
    cluster: { type: 'boolean' }
  }
})
export const CONSOLE_USAGE = CONSOLE_COMMAND.usage

export async function runConsole (argv: string[]): Promise<number> {
  const { values } = CONSOLE_COMMAND.parse(argv)
  if (values.cluster !== true) throw new Error("console: serves a cluster's console; give --cluster (a single box serves its own: punchline gateway)")
  const config = loadConfig({ file: values.config, env: process.env, flags: { data: values.data, httpPort: values['http-port'] } })
  const log = createLogger({ name: 'punchline-console' })
  const { ClusterConsole } = await import('../cluster/console/cluster-console.js')
  const clusterConsole = new ClusterConsole(config, log)
  stopOnSignals(async () => await clusterConsole.stop(), log, 'stopping the cluster console')
  try {
    await clusterConsole.start()
  } catch (err) {
    log.fatal({ err, holder: err instanceof DataDirInUse ? err.holder : undefined }, 'cluster console failed to start; exiting')
    log.flush()
    process.stderr.write(`punchline: ${(err as Error).message}\n`)
    process.exit(err instanceof DataDirInUse ? EXIT_STORE_UNAVAILABLE : 1)
  }
  return -1
}
