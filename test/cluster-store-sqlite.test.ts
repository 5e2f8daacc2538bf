/**
 * The cluster store contract (test/fixtures/cluster-store-contract.ts) against SQLite: today's stores on a
 * real file in a temp dir, behind the cluster store's interface. One process is the only writer, so
 * every node is the one store, and a node that dies leaves only its leases behind.
 */
import t from 'tap'
import { join } from 'node:path'
import { openDatabase } from '../gateway/store/db.js'
import { SqliteClusterStore } from '../gateway/cluster/sqlite-cluster-store.js'
import { clusterStoreContract } from './fixtures/cluster-store-contract.js'

clusterStoreContract(t, 'SQLite', async (t, o) => {
  const db = openDatabase(join(t.testdir(), 'gateway.db'))
  const store = new SqliteClusterStore(db, o)
  t.teardown(async () => {
    await store.close()
    db.close()
  })
  return { node: async () => store, kill: async () => {} }
})

t.test('SQLite: a lease out of range is refused by name', async t => {
  const db = openDatabase(':memory:')
  t.teardown(() => db.close())
  t.throws(() => new SqliteClusterStore(db, { leaseMs: 10 }), { name: 'RangeError', message: /^leaseMs: must be a whole number from 100/ })
})
