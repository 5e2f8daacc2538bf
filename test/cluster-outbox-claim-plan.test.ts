/**
 * A claim on the PostgreSQL outbox takes the oldest unbatched rows through the partial index in order,
 * whatever the table's statistics say. A backlog committed at once (a restore, a burst faster than
 * autovacuum) leaves statistics that believe the outbox nearly empty; the planner then read every
 * unbatched row and sorted them for each batch, a drain quadratic in its backlog (docs/DESIGN-NOTES.md,
 * "The cluster bench"). Checked by the index entries one claim reads, not by its time.
 */
import t from 'tap'
import pg from 'pg'
import { PostgresClusterStore } from '../gateway/cluster/postgres/postgres-cluster-store.js'
import { startPostgres } from './helpers/postgres.js'
import { until } from './helpers/wait.js'

const BACKLOG = 60_000
const BATCH = 500

t.test('one claim reads about a batch of index entries from a large backlog the statistics do not know', async t => {
  const server = await startPostgres(t)
  const db = await server.database()
  const store = await PostgresClusterStore.open({ ...db, leaseMs: 60_000, poolSize: 1 })
  const c = new pg.Client(db)
  await c.connect()
  t.teardown(async () => await c.end())
  // Autovacuum off for the table: its analyze, had it come within the test, would hide what is checked.
  await c.query('ALTER TABLE outbox SET (autovacuum_enabled = false)')
  await c.query('ANALYZE outbox')
  await c.query('BEGIN')
  await c.query(`INSERT INTO punches (device, epoch, seq, ts, tz, emp, kind, method, clock, flags, received)
    SELECT 'D-' || (g / 300), '9f2c41d0', g % 300, 0, 0, 'E1', 'in', 'card', 'synced', '', 0 FROM generate_series(0, $1 - 1) g`, [BACKLOG])
  // The ids are 1 to BACKLOG.
  await c.query('INSERT INTO outbox (punch_id) SELECT g FROM generate_series(1, $1::int8) g', [BACKLOG])
  await c.query('COMMIT')

  const batch = await store.claim({ node: 'n1', size: BATCH })
  t.equal(batch?.punches.length, BATCH, 'a full batch')
  // A backend reports its counts when it exits: read them once the store's connection has gone.
  await store.close()
  let read = 0
  await until(async () => {
    const r = await c.query<{ n: string }>("SELECT idx_tup_read AS n FROM pg_stat_user_indexes WHERE indexrelname = 'outbox_unbatched'")
    read = Number(r.rows[0]?.n ?? 0)
    return read > 0
  }, 'the claim\'s index reads to be reported', 20_000)
  t.ok(read <= 4 * BATCH, `index entries read for one batch of ${BATCH} from ${BACKLOG}: ${read}`)
})
