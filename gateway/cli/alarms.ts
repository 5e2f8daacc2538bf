/**
 * `punchline alarms ack NAME`: an operator says they have dealt with an alarm that cannot clear by itself.
 * Only `database-moved-aside` is such an alarm (store/moved-aside.ts); every other one follows the state
 * it describes and clears when that state does.
 *
 * `punchline alarms [list] --cluster --config node.json [--json]`: a cluster's alarms now, read from the
 * shared store and judged as its console judges them (cluster/console/cluster-alarm-watch.ts); the
 * acknowledgements live in the console, which this command does not ask.
 */
import { existsSync } from 'node:fs'
import { defineCommand } from '../../shared/cli.js'
import { databasePath, loadConfig } from '../config.js'
import { openDatabase } from '../store/db.js'
import { clearMovedAside, readMovedAside } from '../store/moved-aside.js'
import { alarmLevel } from '../alarm-level.js'
import { clusterAlarmsNow } from '../cluster/console/cluster-alarm-watch.js'
import { withClusterStore } from './with-cluster-store.js'

export const ALARMS_COMMAND = defineCommand({
  usage: ['punchline alarms ack database-moved-aside [--data] [--config]', 'punchline alarms [list] --cluster [--config] [--json]   (a cluster\'s alarms now, from its shared store)'],
  flags: { data: { type: 'string', value: 'DIR' }, config: { type: 'string', value: 'FILE' }, cluster: { type: 'boolean' }, json: { type: 'boolean' } },
  positionals: true
})
export const ALARMS_USAGE = ALARMS_COMMAND.usage

const ACKNOWLEDGEABLE = ['database-moved-aside']

export async function runAlarms (argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = ALARMS_COMMAND.parse(argv)
  const [verb, name, ...rest] = positionals
  if (values.cluster === true) {
    if ((verb ?? 'list') !== 'list' || name !== undefined) throw new Error('alarms --cluster: lists a cluster\'s alarms; acknowledge them in its console (POST /api/v1/alarms/{name}/ack)')
    return await listClusterAlarms(values, out)
  }
  if (verb !== 'ack' || name === undefined || rest.length > 0) throw new Error('usage: ' + ALARMS_USAGE)
  if (!ACKNOWLEDGEABLE.includes(name)) {
    throw new Error(`${name}: only ${ACKNOWLEDGEABLE.join(', ')} waits for an acknowledgement; the other alarms clear by themselves when what they describe is fixed`)
  }
  const cfg = loadConfig({ file: values.config, env: process.env, flags: { data: values.data } })
  const file = databasePath(cfg)
  if (!existsSync(file)) throw new Error(`no database at ${file} (check --data)`)
  const db = openDatabase(file)
  try {
    const m = readMovedAside(db)
    if (m === null || !clearMovedAside(db)) {
      out(`no ${name} alarm in ${file}: nothing to acknowledge`)
      return 0
    }
    out(`acknowledged ${name}: the damaged file stays at ${m.keptAs}; a running gateway drops the alarm at its next evaluation (alarms.intervalSeconds)`)
    return 0
  } finally {
    db.close()
  }
}

async function listClusterAlarms (values: { config?: string, json?: boolean }, out: (line: string) => void): Promise<number> {
  const cfg = loadConfig({ file: values.config, env: process.env, flags: {} })
  const alarms = await withClusterStore(values, async store => await clusterAlarmsNow(store, { ...cfg.alarms, clockSkewMs: cfg.rules.clockSkewMs }, Date.now))
  const listed = alarms.map(a => ({ name: a.name, ...(a.subject === undefined ? {} : { device: a.subject }), severity: alarmLevel(a), message: a.message }))
  if (values.json === true) out(JSON.stringify(listed))
  else if (listed.length === 0) out('no alarms')
  else for (const a of listed) out(`${a.severity} ${a.name}${a.device === undefined ? '' : ` (${a.device})`}: ${a.message}`)
  return 0
}
