/**
 * The cluster store contract (test/fixtures/cluster-store-contract.ts) against PostgreSQL: a private
 * server for this file (test/helpers/postgres.ts), a fresh database per test, and each node its own
 * pool, as separate gateway processes would have. A node killed has its pool ended under it.
 */
import t from 'tap'
import { PostgresClusterStore } from '../gateway/cluster/postgres/postgres-cluster-store.js'
import type { ClusterStore } from '../gateway/cluster/cluster-store.js'
import { clusterStoreContract } from './fixtures/cluster-store-contract.js'
import { startPostgres, type PrivatePostgres } from './helpers/postgres.js'

let server: PrivatePostgres
t.before(async () => { server = await startPostgres(t) })

clusterStoreContract(t, 'PostgreSQL', async (t, o) => {
  const config = await server.database()
  const nodes = new Set<ClusterStore>()
  t.teardown(async () => { for (const n of nodes) await n.close() })
  return {
    node: async () => {
      const n = await PostgresClusterStore.open({ ...config, leaseMs: o.leaseMs, poolSize: 2 })
      nodes.add(n)
      return n
    },
    kill: async (n) => {
      nodes.delete(n)
      await n.close()
    }
  }
})
