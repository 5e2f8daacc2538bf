/**
 * The rules' history contract (test/fixtures/rule-history-contract.ts) against PostgreSQL: a private
 * server (test/helpers/postgres.ts), the punches stored by the cluster store's group commit, and each
 * group's answers read by GroupHistory in one statement inside a transaction, the group's own rows added
 * as they go in, as gateway/cluster/postgres/group-flagger.ts does. Also what the clock-skew rule reads
 * there: each device's last clock correction, written from its statuses by whichever node takes them.
 */
import t from 'tap'
import pg from 'pg'
import { PostgresClusterStore } from '../gateway/cluster/postgres/postgres-cluster-store.js'
import { GroupHistory } from '../gateway/cluster/postgres/group-history.js'
import { monthOf } from '../gateway/rules/rules.js'
import type { DeviceStatus } from '../shared/codec/status.js'
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

t.test('PostgreSQL: a device\'s clock correction from its status: a later one replaces it, an earlier one arriving late does not, none clears it', async t => {
  const config = await server.database()
  const store = await PostgresClusterStore.open({ ...config, poolSize: 1 })
  const client = new pg.Client(config)
  await client.connect()
  t.teardown(async () => { await client.end(); await store.close() })
  const jump = async (): Promise<unknown> => (await client.query('SELECT jump_ms, jump_at FROM device_clocks WHERE device = $1', ['T-1'])).rows[0]
  const status = (lastJumpMs?: number, lastJumpAt?: number): DeviceStatus => ({ v: 1, online: true, clock: { synced: true, lastJumpMs, lastJumpAt } })
  t.equal(await store.recordClock('T-1', { v: 1, online: false }), false, 'the last will says nothing of the clock')
  t.equal(await jump(), undefined)
  await store.recordClock('T-1', status(3_600_000, 2000))
  await store.recordClock('T-1', status(60_000, 1000))
  t.same(await jump(), { jump_ms: 3_600_000, jump_at: 2000 }, 'the earlier correction, stored second, did not replace the later')
  await store.recordClock('T-1', status(-7_200_000, 3000))
  t.same(await jump(), { jump_ms: -7_200_000, jump_at: 3000 })
  await store.recordClock('T-1', status())
  t.same(await jump(), { jump_ms: null, jump_at: null }, 'a status with no correction (the device restarted) clears it')
})
