/**
 * What the gateway says at start about its HTTP side: the web console's address, the API's, and, while
 * nobody can log in yet, the one command that makes the first admin (an operator on a fresh install finds
 * it in the first screen of logs, and `npm start` shows it).
 */
import type { Db } from '../store/db.js'
import { OperatorStore } from '../store/operator-store.js'

export function firstLoginHint (db: Db, host: string, port: number, dataDir: string): { fields: Record<string, unknown>, msg: string } {
  const shown = host.includes(':') ? `[${host}]` : host
  const consoleUrl = `http://${shown}:${port}/`
  const api = `${consoleUrl}api/v1`
  const operators = new OperatorStore(db).enabledAdmins()
  if (operators > 0) return { fields: { console: consoleUrl, api, admins: operators }, msg: `HTTP API; web console at ${consoleUrl}` }
  const firstAdmin = `punchline operators add NAME --role admin --data ${dataDir}`
  return {
    fields: { console: consoleUrl, api, firstAdmin },
    msg: `HTTP API: no admin operator yet; create the first with the firstAdmin command (${firstAdmin}), which prints the password to log in with at the web console, ${consoleUrl}`
  }
}
