/**
 * The cluster store contract (test/fixtures/cluster-store-contract.ts) against PostgreSQL: a private
 * server for this file (test/helpers/postgres.ts), a fresh database per test, and each node its own
 * pool, as separate gateway processes would have. A node killed has its pool ended under it.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { PostgresClusterStore } from '../gateway/cluster/postgres/postgres-cluster-store.js'
import type { ClaimedBatch, ClusterStore, CommitResult, JobRows } from '../gateway/cluster/cluster-store.js'
import { PG_MIGRATIONS } from '../gateway/cluster/postgres/migrations.js'
import { clusterStoreContract } from './fixtures/cluster-store-contract.js'
import { startPostgres, type PrivatePostgres } from './helpers/postgres.js'
import { until } from './helpers/wait.js'

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

const T0 = Date.parse('2026-11-22T00:58:03.120Z')
function job (seqs: number[], emp = (s: number) => `E${s}`): JobRows {
  return { received: T0, rows: seqs.map(seq => ({ device: 'D-1', epoch: '9f2c41d0', tz: 0, flags: '', punch: { seq, ts: T0 + seq, emp: emp(seq), kind: 'in', method: 'card', clock: 'synced' } })) }
}

t.test('PostgreSQL: a group larger than one statement is inserted in several, with the same answers', async t => {
  const store = await PostgresClusterStore.open({ ...await server.database(), maxRowsPerStatement: 2 })
  t.teardown(async () => await store.close())
  await store.commit([job([2, 3])])
  // Five statements of two rows; a resend, a conflict and a duplicate inside the group fall across them.
  const out = await store.commit([job([1, 2, 3]), job([4, 1, 5], s => s === 5 ? 'E5' : `E${s}`), job([3, 6], s => s === 3 ? 'E-OTHER' : `E${s}`)])
  t.same(out.results, [
    { stored: [1], known: [2, 3], conflicts: [] },
    { stored: [4, 5], known: [1], conflicts: [] },
    { stored: [6], known: [3], conflicts: [3] }
  ])
  t.equal(out.transactions, 1)
})

t.test('PostgreSQL: bounds out of range are refused by name before connecting', async t => {
  const config = await server.database()
  await t.rejects(PostgresClusterStore.open({ ...config, maxRowsPerStatement: 0 }), /maxRowsPerStatement: must be a whole number from 1 to 10000/)
  await t.rejects(PostgresClusterStore.open({ ...config, poolSize: 1.5 }), /poolSize: must be a whole number/)
  await t.rejects(PostgresClusterStore.open({ ...config, leaseMs: 10 }), /leaseMs: must be a whole number from 100/)
})

t.test('PostgreSQL: nodes opening a new database at once migrate it once', async t => {
  const config = await server.database()
  const nodes = await Promise.all([1, 2, 3].map(async () => await PostgresClusterStore.open(config)))
  t.teardown(async () => { for (const n of nodes) await n.close() })
  const c = new pg.Client(config)
  await c.connect()
  t.teardown(async () => await c.end())
  t.same((await c.query('SELECT version FROM schema_version')).rows, [{ version: PG_MIGRATIONS.length }])
})

t.test('PostgreSQL: a database whose version is newer than this punchline is refused', async t => {
  const config = await server.database()
  await (await PostgresClusterStore.open(config)).close()
  const c = new pg.Client(config)
  await c.connect()
  t.teardown(async () => await c.end())
  await c.query('UPDATE schema_version SET version = version + 1')
  await t.rejects(PostgresClusterStore.open(config), new RegExp(`schema version ${PG_MIGRATIONS.length + 1} is newer than this punchline knows \\(${PG_MIGRATIONS.length}\\); upgrade punchline`))
})

t.test('PostgreSQL: a server that does not fsync is refused: its commits could be lost after the device is acked', async t => {
  const config = await server.database()
  const c = new pg.Client(config)
  await c.connect()
  const setFsync = async (on: boolean): Promise<void> => {
    await c.query(`ALTER SYSTEM SET fsync = ${on ? 'on' : 'off'}`)
    await c.query('SELECT pg_reload_conf()')
    await until(async () => (await c.query('SHOW fsync')).rows[0].fsync === (on ? 'on' : 'off'), 'the server to reload fsync')
  }
  t.teardown(async () => {
    await c.query('ALTER SYSTEM RESET fsync')
    await c.query('SELECT pg_reload_conf()')
    await c.end()
  })
  await setFsync(false)
  await t.rejects(PostgresClusterStore.open(config), /fsync off/)
  await setFsync(true)
  await (await PostgresClusterStore.open(config)).close()
})

t.test('PostgreSQL: two nodes storing the same punches in opposite orders at once do not deadlock', async t => {
  const config = await server.database()
  const [a, b] = await Promise.all([1, 2].map(async () => await PostgresClusterStore.open({ ...config, maxRowsPerStatement: 50 })))
  t.teardown(async () => { await a.close(); await b.close() })
  for (let round = 0; round < 3; round++) {
    const seqs = Array.from({ length: 300 }, (_, i) => round * 1000 + i + 1)
    const [outA, outB] = await Promise.all([a.commit([job(seqs)]), b.commit([job([...seqs].reverse())])])
    t.same([outA.fallbacks, outB.fallbacks], [0, 0], `round ${round}: neither transaction failed`)
    const stored = [...(outA.results[0] as CommitResult).stored, ...(outB.results[0] as CommitResult).stored].sort((x, y) => x - y)
    t.same(stored, seqs, `round ${round}: each punch stored by exactly one node`)
  }
})

const CHILD = fileURLToPath(new URL('./fixtures/cluster-claim-child.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('..', import.meta.url))

t.test('PostgreSQL: a node killed -9 while it holds its batch locked: the server drops its connection and, its lease over, another node sends the batch under the same key', async t => {
  const config = await server.database()
  const leaseMs = 1500
  const survivor = await PostgresClusterStore.open({ ...config, leaseMs })
  t.teardown(async () => await survivor.close())
  await survivor.commit([job([1, 2, 3])])
  // The child loads TypeScript the way this process does (tap's loader, from execArgv).
  const child = spawn(process.execPath, [...process.execArgv, CHILD, JSON.stringify(config), String(leaseMs)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  await until(() => out.includes('"key"'), () => `the child to claim (output: ${out})`, 60_000)
  const held = JSON.parse(out.slice(out.indexOf('{'), out.indexOf('}') + 1)) as { key: string, seqs: number[] }
  t.same(held.seqs, [1, 2, 3])
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
  let again: ClaimedBatch | undefined
  await until(async () => (again = await survivor.claim({ size: 100, node: 'survivor' })) !== undefined,
    'the dead node\'s batch to be claimable', 30_000, 100)
  t.equal(again?.key, held.key, 'the same Idempotency-Key')
  t.same(again?.punches.map(p => p.seq), [1, 2, 3])
  t.equal(await survivor.complete(again as ClaimedBatch), true)
})

t.test('PostgreSQL: while the store cannot be reached every job of a group fails at once, none tried alone; then it stores again', async t => {
  const config = await server.database()
  const store = await PostgresClusterStore.open({ ...config, connectTimeoutMs: 2000 })
  t.teardown(async () => await store.close())
  const admin = new pg.Client({ ...config, database: 'postgres' })
  await admin.connect()
  t.teardown(async () => await admin.end())
  await admin.query(`ALTER DATABASE ${config.database} ALLOW_CONNECTIONS false`)
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [config.database])
  // The pool drops the connections the server ended when it hears of it.
  await sleep(500)
  const out = await store.commit([job([1]), job([2]), job([3])])
  t.equal(out.fallbacks, 0, 'no job is tried alone: nothing about any of them is to blame')
  t.equal(out.failedJobs, 3)
  t.ok(out.results.every(r => r instanceof Error && /shared store unreachable: .*not currently accepting connections/.test(r.message)), 'each job names why')
  await admin.query(`ALTER DATABASE ${config.database} ALLOW_CONNECTIONS true`)
  t.same((await store.commit([job([1]), job([2])])).results, [{ stored: [1], known: [], conflicts: [] }, { stored: [2], known: [], conflicts: [] }], 'the store is used again once it answers')
})
