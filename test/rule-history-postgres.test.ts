/**
 * The rules' history contract (test/fixtures/rule-history-contract.ts) against PostgreSQL: a private
 * server (test/helpers/postgres.ts), the punches stored by the cluster store's group commit, and each
 * group's answers read by GroupHistory in one statement inside a transaction, the group's own rows added
 * as they go in, as gateway/cluster/postgres/group-flagger.ts does.
 */
import t from 'tap'
import pg from 'pg'
import { PostgresClusterStore } from '../gateway/cluster/postgres/postgres-cluster-store.js'
import { GroupHistory } from '../gateway/cluster/postgres/group-history.js'
import { monthOf } from '../gateway/rules/rules.js'
import { NEAR_MS, ruleHistoryContract } from './fixtures/rule-history-contract.js'
import { startPostgres, type PrivatePostgres } from './helpers/postgres.js'

let server: PrivatePostgres
t.before(async () => { server = await startPostgres(t) })

ruleHistoryContract(t, 'PostgreSQL', async t => {
  const config = await server.database()
  const store = await PostgresClusterStore.open({ ...config, poolSize: 1 })
  const client = new pg.Client(config)
  await client.connect()
  t.teardown(async () => {
    await client.end()
    await store.close()
  })
  return {
    seed: async rows => {
      for (const h of rows) {
        const out = await store.commit([{ rows: [{ ...h.row, person: h.person }], received: h.received }])
        if (out.results[0] instanceof Error) throw out.results[0]
      }
    },
    group: async (rows, ask) => {
      await client.query('BEGIN')
      try {
        const history = await GroupHistory.load(client, rows.map(h => ({
          row: h.row, received: h.received, person: h.person, nearMs: NEAR_MS, month: monthOf(h.row.punch.ts, h.row.tz ?? 0)
        })))
        rows.forEach((_, i) => {
          history.select(i)
          ask(history, i)
          history.add(i)
        })
      } finally {
        await client.query('ROLLBACK')
      }
    }
  }
})
