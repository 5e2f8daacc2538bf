/**
 * `punchline deadletters list|replay`: what the upstream refused for good, and sending it again once the
 * cause is fixed. Safe while the gateway runs: replays are new outbox batches the forwarder picks up.
 */
import { defineCommand } from '../../shared/cli.js'
import { withDatabase } from './with-database.js'
import { ForwardStore, type DeadLetter, type DeadLetterKind } from '../store/forward-store.js'
import { withClusterStore } from './with-cluster-store.js'
import { formatDeadLetters } from './deadletters.js'

export const DEADLETTERS_COMMAND = defineCommand({
  usage: [
    'punchline deadletters list [--data] [--config] [--json] [--limit] [--cluster]',
    'punchline deadletters replay (--all | --unmapped | PUNCH_ROW_ID ...) [--data] [--config] [--cluster]'
  ],
  flags: {
    data: { type: 'string', value: 'DIR' },
    config: { type: 'string', value: 'FILE' },
    json: { type: 'boolean' },
    all: { type: 'boolean' },
    unmapped: { type: 'boolean' },
    limit: { type: 'whole', default: 100, min: 1 },
    // the cluster's dead letters in the shared PostgreSQL store (cluster.postgres of --config)
    cluster: { type: 'boolean' }
  },
  positionals: true
})
export const DEADLETTERS_USAGE = DEADLETTERS_COMMAND.usage

/** Where a command finds the dead letters: the single box's SQLite file, or a cluster's shared store. */
interface DeadLetterBook {
  list: (limit: number) => Promise<DeadLetter[]>
  replay: (which: readonly number[] | 'all' | DeadLetterKind) => Promise<number>
}

export async function runDeadLetters (argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = DEADLETTERS_COMMAND.parse(argv)
  if (values.cluster === true) {
    return await withClusterStore(values, async (s) => await deadLettersVerb(positionals, values, out, {
      list: async (limit) => await s.listDeadLetters({ limit }),
      replay: async (which) => await s.replayDeadLetters(which)
    }))
  }
  return await withDatabase(values, async (db) => {
    const store = new ForwardStore(db)
    return await deadLettersVerb(positionals, values, out, {
      list: async (limit) => store.listDeadLetters({ limit }),
      replay: async (which) => store.replayDeadLetters(which, Date.now())
    })
  })
}

async function deadLettersVerb (positionals: string[], values: { limit: number, json?: boolean, all?: boolean, unmapped?: boolean }, out: (line: string) => void, store: DeadLetterBook): Promise<number> {
  const [verb, ...ids] = positionals
  switch (verb) {
    case 'list': {
      const rows = await store.list(values.limit)
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
      const n = await store.replay(which)
      out(`replayed ${n} dead letter${n === 1 ? '' : 's'}; the gateway forwards them at its next poll`)
      return 0
    }
    default:
      throw new Error('usage:\n' + DEADLETTERS_USAGE)
  }
}
