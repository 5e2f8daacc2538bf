/**
 * `punchline report`: the site's health as a person reads it (or JSON with --json): devices, backlog,
 * dead letters, flags, storage, backups and the alarms they raise. Opens the database read-only, so it is
 * safe next to a running gateway (WAL: a reader never blocks the writer) and works with the gateway
 * stopped. Alarms that need the live gateway's memory (the last upstream delivery) are judged from the
 * outbox instead (alarms.ts). The SECURITY block is judged from the config it reads, the gateway's when
 * both are given the same (PUNCHLINE_CONFIG).
 */
import { existsSync } from 'node:fs'
import { defineCommand } from '../../shared/cli.js'
import { databasePath, loadConfig } from '../config.js'
import { openDatabase, schemaVersion } from '../store/db.js'
import { healthSnapshot } from '../health.js'
import { evaluateAlarms } from '../alarms.js'
import { formatReport } from './report-text.js'
import { transportSecurity } from '../broker/transport-security.js'

export const REPORT_COMMAND = defineCommand({
  usage: ['punchline report [--data] [--config] [--json]'],
  flags: { data: { type: 'string', value: 'DIR' }, config: { type: 'string', value: 'FILE' }, json: { type: 'boolean' } },
  positionals: true
})
export const REPORT_USAGE = REPORT_COMMAND.usage

/** migration 3 brought dead-letter kinds and the received index the report reads */
const NEEDS_SCHEMA = 3

export async function runReport (argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = REPORT_COMMAND.parse(argv)
  if (positionals.length > 0) throw new Error('usage: ' + REPORT_USAGE)
  const cfg = loadConfig({ file: values.config, env: process.env, flags: { data: values.data } })
  const file = databasePath(cfg)
  if (!existsSync(file)) throw new Error(`no database at ${file}: nothing to report (check --data)`)
  const db = openDatabase(file, { readonly: true })
  try {
    const version = schemaVersion(db)
    if (version < NEEDS_SCHEMA) throw new Error(`${file} has schema ${version}; start the gateway once to upgrade it, then report`)
    const now = Date.now()
    const snapshot = healthSnapshot(db, cfg, now)
    const alarms = evaluateAlarms(snapshot, cfg.alarms, { clockSkewMs: cfg.rules.clockSkewMs }, now)
    const security = transportSecurity(cfg)
    out(values.json === true ? JSON.stringify({ ...snapshot, alarms, security }, null, 2) : formatReport(snapshot, alarms, security))
    return 0
  } finally {
    db.close()
  }
}
