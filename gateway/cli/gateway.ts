/**
 * `punchline gateway`: runs the gateway until SIGTERM/SIGINT, then drains and exits 0. SIGHUP reloads the
 * mqtts certificate. `--init` writes a site CA, a server certificate and a TLS-only config, then exits
 * (gateway-init.ts).
 */
import { defineCommand } from '../../shared/cli.js'
import { createLogger } from '../../shared/log.js'
import { loadConfig } from '../config.js'
import { Gateway } from '../gateway.js'
import { StoreUnavailable } from '../store/open-failure.js'
import { DataDirInUse } from '../store/data-dir-lock.js'
import { StoppedWhileStarting } from '../life/step.js'
import { stopOnSignals } from './stop-on-signal.js'
import { applyHeapGrowth } from '../heap-growth.js'

/**
 * The exit status of a start refused for a cause that may pass by itself (sysexits EX_TEMPFAIL): the
 * database locked, its disk full or read-only, the data directory held by another gateway.
 */
export const EXIT_STORE_UNAVAILABLE = 75

export const GATEWAY_COMMAND = defineCommand({
  usage: [
    'punchline gateway [--config] [--mqtt-port] [--http-port] [--adms-port] [--data]',
    '                  [--upstream] [--allow-anonymous] [--cluster]',
    'punchline gateway --init [--data] [--config] [--host]'
  ],
  flags: {
    config: { type: 'string', value: 'FILE' },
    'mqtt-port': { type: 'whole', value: '1883', min: 0, max: 65535 },
    'http-port': { type: 'whole', value: '8080', min: 0, max: 65535 },
    'adms-port': { type: 'whole', value: '8081', min: 0, max: 65535 },
    data: { type: 'string', value: 'DIR' },
    upstream: { type: 'string', value: 'URL' },
    'allow-anonymous': { type: 'boolean' },
    cluster: { type: 'boolean' },
    init: { type: 'boolean' },
    host: { type: 'string', value: 'NAME_OR_IP', multiple: true }
  }
})
export const GATEWAY_USAGE = GATEWAY_COMMAND.usage

export async function runGateway (argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = GATEWAY_COMMAND.parse(argv)
  if (values.init === true) {
    const { initSite, describeInit } = await import('./gateway-init.js')
    // The data dir as the gateway would find it (flag, PUNCHLINE_DATA, default); --config names the file to write.
    const dataDir = loadConfig({ env: process.env, flags: { data: values.data } }).dataDir
    const result = await initSite({ dataDir, configFile: values.config ?? '', hosts: values.host ?? [], now: Date.now() })
    describeInit(result).forEach(out)
    return 0
  }
  if (values.host !== undefined) throw new Error('--host: only with --init')
  const config = loadConfig({
    file: values.config,
    env: process.env,
    flags: {
      mqttPort: values['mqtt-port'],
      httpPort: values['http-port'],
      admsPort: values['adms-port'],
      data: values.data,
      upstream: values.upstream,
      allowAnonymous: values['allow-anonymous']
    }
  })
  const log = createLogger({ name: 'punchline-gateway' })
  // Before anything is built: the connections and the database's caches are the heap it keeps near.
  applyHeapGrowth(config.memory.heapGrowthPercent)
  if (values.cluster === true) {
    // Behind the flag: the single box never loads the cluster node, MQTT client mode or the PostgreSQL client.
    const { runClusterNode } = await import('../cluster/node/run-cluster-node.js')
    return await runClusterNode(config, log)
  }
  const gateway = new Gateway(config, { log })
  stopOnSignals(async () => await gateway.stop(), log, 'stopping: draining in-flight work')
  // The usual daemon reload (certbot deploy hook: `systemctl reload` / `kill -HUP`); replaces the default of exiting.
  process.on('SIGHUP', () => gateway.reloadTls())
  try {
    await gateway.start()
  } catch (err) {
    // SIGTERM during the start: the stop under way ends the process (exit 0) once what started is stopped.
    if (err instanceof StoppedWhileStarting) return -1
    if (err instanceof StoreUnavailable || err instanceof DataDirInUse) {
      // One line saying what and what to do; nothing was moved or changed, and a supervisor tries again.
      log.fatal({ code: err instanceof StoreUnavailable ? err.code : 'DATA_DIR_IN_USE', holder: err instanceof DataDirInUse ? err.holder : undefined },
        `gateway refused to start: ${err.message}`)
      log.flush()
      process.stderr.write(`punchline: ${err.message}\n`)
      process.exit(EXIT_STORE_UNAVAILABLE)
    }
    // Half started (its MQTT port bound, its HTTP port taken) the process stayed up: its broker stored and
    // acknowledged punches that no forwarder sent on, and a supervisor, seeing it alive, never restarted
    // it (found by the fault suite restarting a killed gateway on its ports: faults/gateway-kill.ts).
    log.fatal({ err }, 'gateway failed to start; exiting')
    log.flush()
    process.stderr.write(`punchline: ${(err as Error).message}\n`)
    process.exit(1)
  }
  return -1
}
