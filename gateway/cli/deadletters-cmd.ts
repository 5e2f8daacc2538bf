/**
 * `punchline deadletters list|replay`: what the upstream refused for good, and sending it again once the
 * cause is fixed. Safe while the gateway runs: replays are new outbox batches the forwarder picks up.
 */
import { parseArgs } from 'node:util'
import { databasePath, loadConfig } from '../config.js'
import { openDatabase } from '../store/db.js'
import { ForwardStore } from '../store/forward-store.js'
import { formatDeadLetters } from './deadletters.js'

export const DEADLETTERS_USAGE = `punchline deadletters list [--data DIR] [--json] [--limit 100]
punchline deadletters replay (--all | --unmapped | PUNCH_ROW_ID ...) [--data DIR]`

export async function runDeadLetters (argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { data: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' }, all: { type: 'boolean' }, unmapped: { type: 'boolean' }, limit: { type: 'string' } },
    allowPositionals: true,
    strict: true
  })
  const [verb, ...ids] = positionals
  const cfg = loadConfig({ file: values.config, env: process.env, flags: { data: values.data } })
  const db = openDatabase(databasePath(cfg))
  try {
    const store = new ForwardStore(db)
    switch (verb) {
      case 'list': {
        const limit = values.limit === undefined ? 100 : Number(values.limit)
        if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit: must be a whole number >= 1')
        const rows = store.listDeadLetters({ limit })
        out(values.json === true ? JSON.stringify(rows) : formatDeadLetters(rows))
        return 0
      }
      case 'replay': {
        if (values.all !== true && values.unmapped !== true && ids.length === 0) throw new Error('deadletters replay: give --all, --unmapped or punch row ids')
        // --unmapped: the punches that waited for a person to be known (after adding employees upstream).
        const which = values.all === true ? 'all' as const : values.unmapped === true ? 'unmapped' as const : ids.map(s => {
          const n = Number(s)
          if (!Number.isInteger(n) || n < 1) throw new Error(`deadletters replay: '${s}' is not a punch row id`)
          return n
        })
        const n = store.replayDeadLetters(which, Date.now())
        out(`replayed ${n} dead letter${n === 1 ? '' : 's'}; the gateway forwards them at its next poll`)
        return 0
      }
      default:
        throw new Error('usage:\n' + DEADLETTERS_USAGE)
    }
  } finally {
    db.close()
  }
}
