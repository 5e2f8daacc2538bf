/**
 * What the gateway says at start about its API: where it listens and, while nobody can log in yet, the one
 * command that makes the first admin (an operator on a fresh install finds it in the first screen of logs).
 */
import type { Db } from '../store/db.js'
import { OperatorStore } from '../store/operator-store.js'

export function firstLoginHint (db: Db, host: string, port: number, dataDir: string): { fields: Record<string, unknown>, msg: string } {
  const shown = host.includes(':') ? `[${host}]` : host
  const api = `http://${shown}:${port}/api/v1`
  const operators = new OperatorStore(db).enabledAdmins()
  if (operators > 0) return { fields: { api, admins: operators }, msg: 'HTTP API' }
  return {
    fields: { api, firstAdmin: `punchline operators add NAME --role admin --data ${dataDir}` },
    msg: 'HTTP API: no admin operator yet; create the first with the firstAdmin command, which prints the password'
  }
}
