/**
 * `punchline deadletters list|replay`: what the upstream refused for good, and sending it again once the
 * cause is fixed. Safe while the gateway runs: replays are new outbox batches the forwarder picks up.
 */
import { defineCommand } from '../../shared/cli.js'
import { withDatabase } from './with-database.js'
import { ForwardStore } from '../store/forward-store.js'
import { formatDeadLetters } from './deadletters.js'

export const DEADLETTERS_COMMAND = defineCommand({
  usage: [
    'punchline deadletters list [--data] [--config] [--json] [--limit]',
    'punchline deadletters replay (--all | --unmapped | PUNCH_ROW_ID ...) [--data] [--config]'
  ],
  flags: {
    data: { type: 'string', value: 'DIR' },
    config: { type: 'string', value: 'FILE' },
    json: { type: 'boolean' },
    all: { type: 'boolean' },
    unmapped: { type: 'boolean' },
    limit: { type: 'whole', default: 100, min: 1 }
  },
  positionals: true
})
export const DEADLETTERS_USAGE = DEADLETTERS_COMMAND.usage

export async function runDeadLetters (argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = DEADLETTERS_COMMAND.parse(argv)
  const [verb, ...ids] = positionals
  return await withDatabase(values, async (db) => {
    const store = new ForwardStore(db)
    switch (verb) {
      case 'list': {
        const rows = store.listDeadLetters({ limit: values.limit })
        out(values.json === true ? JSON.stringify(rows) : formatDeadLetters(rows))
        return 0
      }
      case 'replay': {
        if (values.all !== true && values.unmapped !== true && ids.length === 0) throw new Error('deadletters replay: give --all, --unmapped or punch row ids')
        // --unmapped: the punches that waited for a person to be known (after adding employees upstream).
        const which = values.all === true
          ? 'all' as const
          : values.unmapped === true
            ? 'unmapped' as const
            : ids.map(s => {
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
  })
}
