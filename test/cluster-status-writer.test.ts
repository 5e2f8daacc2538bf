/**
 * A node's status writer (gateway/cluster/node/status-writer.ts) on real stores: statuses coalesced per
 * device, the queue's bound with every drop counted, and a flush the store refuses (its table renamed
 * away under it in PostgreSQL) put back and written once the store takes it again, the device's
 * description kept.
 */
import t from 'tap'
import { Registry } from 'prom-client'
import { openDatabase } from '../gateway/store/db.js'
import { SqliteClusterStore } from '../gateway/cluster/sqlite-cluster-store.js'
import { PostgresClusterStore } from '../gateway/cluster/postgres/postgres-cluster-store.js'
import { StatusWriter } from '../gateway/cluster/node/status-writer.js'
import { createLogger } from '../shared/log.js'
import { OFFLINE_WILL, type DeviceStatus } from '../shared/codec/status.js'
import { connectionString, startPostgres } from './helpers/postgres.js'
import { until } from './helpers/wait.js'

const T0 = Date.parse('2026-12-07T09:00:00Z')
const DESCRIBED: DeviceStatus = { v: 1, online: true, fw: '3.0.0', ring: { capacity: 100, pending: 3, oldestPendingTs: null, overwritten: 0, refused: 0 } }
const log = createLogger({ name: 'test', level: 'silent' })

async function metric (registry: Registry, name: string): Promise<number> {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(await registry.metrics())
  return m === null ? 0 : Number(m[1])
}

t.test('coalesced per device; past the bound a device is dropped and counted; stop writes what waits', async t => {
  const db = openDatabase(':memory:')
  t.teardown(() => db.close())
  const store = new SqliteClusterStore(db)
  const registry = new Registry()
  const w = new StatusWriter({ store, node: 'n1', registry, log, flushMs: 60_000, maxPending: 2 })
  w.start()
  t.equal(w.take('D-1', DESCRIBED, T0), 'queued')
  t.equal(w.take('D-1', OFFLINE_WILL, T0 + 1), 'coalesced')
  t.equal(w.take('D-2', DESCRIBED, T0), 'queued')
  t.equal(w.take('D-3', DESCRIBED, T0), 'dropped', 'two devices wait already')
  t.equal(w.take('D-2', DESCRIBED, T0 + 5), 'coalesced', 'a waiting device still takes a newer status')
  t.equal(await metric(registry, 'punchline_cluster_device_statuses_dropped_total{reason="queue-full"}'), 1)
  t.equal(await metric(registry, 'punchline_cluster_device_statuses_coalesced_total'), 2)
  t.equal(await metric(registry, 'punchline_cluster_device_statuses_pending'), 2)
  await w.stop()
  const stored = await store.listStatuses({ limit: 10 })
  t.match(stored, [{ device: 'D-1', online: false, lastSeen: T0 + 1, described: DESCRIBED }, { device: 'D-2', lastSeen: T0 + 5 }], 'the latest of each, the will keeping the description')
  t.equal(await metric(registry, 'punchline_cluster_device_statuses_written_total'), 2)
})

t.test('PostgreSQL: a flush the store refuses is put back and written when the store takes it again', async t => {
  const server = await startPostgres(t)
  const postgres = connectionString(await server.database())
  const store = await PostgresClusterStore.open({ connectionString: postgres, poolSize: 2 })
  t.teardown(async () => await store.close())
  const admin = await PostgresClusterStore.open({ connectionString: postgres, poolSize: 1 })
  t.teardown(async () => await admin.close())
  const sql = async (q: string): Promise<void> => {
    const pg = (await import('pg')).default
    const c = new pg.Client({ connectionString: postgres })
    await c.connect()
    try { await c.query(q) } finally { await c.end() }
  }
  await sql('ALTER TABLE device_statuses RENAME TO device_statuses_away')
  const registry = new Registry()
  const w = new StatusWriter({ store, node: 'n1', registry, log, flushMs: 50 })
  t.teardown(async () => await w.stop())
  w.start()
  w.take('D-1', DESCRIBED, T0)
  await until(async () => await metric(registry, 'punchline_cluster_device_statuses_flush_failures_total') > 0, 'a flush to fail', 20_000)
  // Taken while the failed rows wait again, or while a flush that fails again holds them: either way the newer wins.
  t.not(w.take('D-1', OFFLINE_WILL, T0 + 1), 'dropped')
  await sql('ALTER TABLE device_statuses_away RENAME TO device_statuses')
  await until(async () => (await admin.listStatuses({ limit: 10 })).length === 1, 'the status written once the store takes it', 20_000)
  t.match(await admin.listStatuses({ limit: 10 }), [{ device: 'D-1', online: false, lastSeen: T0 + 1, described: DESCRIBED, node: 'n1' }])
  t.equal(await metric(registry, 'punchline_cluster_device_statuses_dropped_total{reason="store-failed"}'), 0, 'nothing dropped')
})
