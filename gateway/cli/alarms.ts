/**
 * `punchline alarms ack NAME`: an operator says they have dealt with an alarm that cannot clear by itself.
 * Only `database-moved-aside` is such an alarm (store/moved-aside.ts); every other one follows the state
 * it describes and clears when that state does.
 */
import { existsSync } from 'node:fs'
import { defineCommand } from '../../shared/cli.js'
import { databasePath, loadConfig } from '../config.js'
import { openDatabase } from '../store/db.js'
import { clearMovedAside, readMovedAside } from '../store/moved-aside.js'

export const ALARMS_COMMAND = defineCommand({
  usage: ['punchline alarms ack database-moved-aside [--data] [--config]'],
  flags: { data: { type: 'string', value: 'DIR' }, config: { type: 'string', value: 'FILE' } },
  positionals: true
})
export const ALARMS_USAGE = ALARMS_COMMAND.usage

const ACKNOWLEDGEABLE = ['database-moved-aside']

export async function runAlarms (argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = ALARMS_COMMAND.parse(argv)
  const [verb, name, ...rest] = positionals
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
