/**
 * The shared PostgreSQL store of the cluster a command's --config names (`cluster.postgres`, or
 * PUNCHLINE_CLUSTER_POSTGRES), opened for the one command and closed after it: `punchline roster
 * --cluster`, `punchline deadletters --cluster`. Loaded with import(), as `gateway --cluster` loads the
 * node, so the single box's commands never load the PostgreSQL client.
 */
import { loadConfig } from '../config.js'
import type { ClusterAdmin } from '../cluster/cluster-admin.js'

export async function withClusterStore<T> (values: { config?: string }, use: (store: ClusterAdmin) => Promise<T>): Promise<T> {
  const cfg = loadConfig({ file: values.config, env: process.env, flags: {} })
  if (cfg.cluster.postgres === '') throw new Error('cluster.postgres: required with --cluster (in the --config file, or PUNCHLINE_CLUSTER_POSTGRES)')
  const { PostgresClusterStore } = await import('../cluster/postgres/postgres-cluster-store.js')
  const store = await PostgresClusterStore.open({ connectionString: cfg.cluster.postgres, poolSize: 1 })
  try {
    return await use(store)
  } finally {
    await store.close()
  }
}
