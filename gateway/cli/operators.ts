/**
 * `punchline operators add|list|disable|password` and `operators token add|list|disable`: who may use the HTTP API
 * (/api/v1), in the store a gateway uses for a data dir. Safe while the gateway runs (SQLite WAL); a new
 * operator can log in at once. A first password or a token is printed once and never stored in clear.
 * Each change is in the audit log as `cli:<user>`.
 */
import { userInfo } from 'node:os'
import { defineCommand } from '../../shared/cli.js'
import { withDatabase } from './with-database.js'
import { checkOperatorName, checkRole, OperatorStore, type Actor } from '../store/operator-store.js'

export const OPERATORS_COMMAND = defineCommand({
  usage: [
    'punchline operators add NAME --role [--data] [--config] [--json]    (ROLE: admin, hr or viewer)',
    'punchline operators list [--data] [--config] [--json]',
    'punchline operators disable NAME [--data] [--config]',
    'punchline operators password NAME [--data] [--config] [--json]    (a new password, printed once; their sessions end)',
    'punchline operators token add NAME --role [--data] [--config] [--json]',
    'punchline operators token list [--data] [--config] [--json]',
    'punchline operators token disable NAME [--data] [--config]'
  ],
  flags: { role: { type: 'string', value: 'ROLE' }, data: { type: 'string', value: 'DIR' }, config: { type: 'string', value: 'FILE' }, json: { type: 'boolean' } },
  positionals: true
})
export const OPERATORS_USAGE = OPERATORS_COMMAND.usage

function cliActor (): Actor {
  let user = 'unknown'
  try { user = userInfo().username } catch {}
  return { name: `cli:${user}`, now: Date.now() }
}

function when (ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString()
}

export async function runOperators (argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = OPERATORS_COMMAND.parse(argv)
  const json = values.json === true
  const [first, ...rest] = positionals
  const onTokens = first === 'token'
  const [verb, name] = onTokens ? rest : [first, ...rest]
  const what = `operators ${onTokens ? 'token ' : ''}${verb ?? ''}`
  return await withDatabase(values, async (db) => {
    const store = new OperatorStore(db)
    switch (verb) {
      case 'add': {
        const who = checkOperatorName(name, what)
        const role = checkRole(values.role, what)
        if (onTokens) {
          const token = store.addToken(who, role, cliActor())
          out(json ? JSON.stringify({ name: who, role, token }) : `token ${who} (${role}): ${token}\nshown once: give it to the integration now; only its digest is kept`)
        } else {
          const password = await store.add(who, role, cliActor())
          out(json ? JSON.stringify({ name: who, role, password }) : `operator ${who} (${role}), first password: ${password}\nshown once: log in at POST /api/v1/session with it`)
        }
        return 0
      }
      case 'list': {
        const rows = onTokens ? store.listTokens() : store.list()
        if (json) out(JSON.stringify(rows))
        else for (const r of rows) out(`${r.name}\t${r.role}\tcreated ${when(r.created)}\t${r.disabled === null ? 'enabled' : `disabled ${when(r.disabled)}`}`)
        return 0
      }
      case 'password': {
        if (onTokens) break
        const who = checkOperatorName(name, what)
        const password = await store.setPassword(who, cliActor())
        if (password === false) { out(`no enabled operator ${who}`); return 1 }
        out(json ? JSON.stringify({ name: who, password }) : `operator ${who}, new password: ${password}\nshown once; their sessions have ended`)
        return 0
      }
      case 'disable': {
        const who = checkOperatorName(name, what)
        const done = onTokens ? store.disableToken(who, cliActor()) : store.disable(who, cliActor())
        out(done ? `disabled ${who}` : `no enabled ${onTokens ? 'token' : 'operator'} ${who}`)
        return done ? 0 : 1
      }
    }
    throw new Error('usage:\n' + OPERATORS_USAGE)
  })
}
