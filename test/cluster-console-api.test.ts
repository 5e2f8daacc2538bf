/**
 * A cluster's console as a real process (`punchline console --cluster`) over a private PostgreSQL: the
 * nodes' heartbeats and the cluster's dead letters through /api/v1, each role allowed or refused as the
 * single box's routes are, operators and the audit log in the console's own data directory.
 */
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PostgresClusterStore } from '../gateway/cluster/postgres/postgres-cluster-store.js'
import type { NodeRecord } from '../gateway/cluster/node-registry.js'
import { connectionString, startPostgres } from './helpers/postgres.js'
import { parkOneRefusedPunch } from './helpers/cluster-seed.js'
import { startClusterConsole, ClusterConsoleProcess } from './helpers/cluster-console-process.js'
import { addOperator, apiFetch, asBearer, asSession, login } from './helpers/api-v1.js'

const T0 = Date.parse('2026-12-07T08:00:00Z')

t.test('the cluster console: nodes for every role, dead letters and their replay for hr and admin, audited', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-cluster-console-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startPostgres(t)
  const postgres = connectionString(await server.database())

  // What the nodes would have written: a heartbeat, and a punch the upstream refused for good.
  const store = await PostgresClusterStore.open({ connectionString: postgres, poolSize: 1 })
  t.teardown(async () => await store.close())
  // One beat and no more: an interval long enough that a loaded machine does not see it stale mid-test.
  await store.beat({ nodeId: 'n1', host: 'h1', pid: 11, version: '0.1.0', broker: 'mqtt://broker:1883', startedAt: T0, intervalMs: 60_000, counts: { acked: 7, unacked: 0, punchesDelivered: 5, failed: 1, leaseLost: 0, queuedRows: 0, claimsHeld: 0 } })
  await parkOneRefusedPunch(store, T0)

  const data = join(dir, 'console-data')
  const c = startClusterConsole(t, dir, data, { http: { port: 0 }, cluster: { postgres } })
  await c.ready()
  const [admin, hr, viewer] = await Promise.all((['admin', 'hr', 'viewer'] as const).map(async role => await login(c, `op-${role}`, await addOperator(data, `op-${role}`, role))))

  const who = await (await asSession(c, viewer, 'GET', '/api/v1/session')).json() as { mode: string, role: string }
  t.match(who, { mode: 'cluster', role: 'viewer' }, 'the session says it is a cluster console')

  for (const [name, s] of [['admin', admin], ['hr', hr], ['viewer', viewer]] as const) {
    const res = await asSession(c, s, 'GET', '/api/v1/cluster/nodes')
    t.equal(res.status, 200, `${name} reads the nodes`)
    const nodes = await res.json() as NodeRecord[]
    t.match(nodes, [{ nodeId: 'n1', state: 'alive', host: 'h1', pid: 11, counts: { acked: 7, punchesDelivered: 5, failed: 1 } }])
  }
  const anonymous = await apiFetch(c.httpUrl + '/api/v1/cluster/nodes', {})
  t.equal(anonymous.status, 401, 'no credentials: refused')
  const siteToken = readFileSync(join(data, 'api-token'), 'utf8').trim()
  t.equal((await asBearer(c, siteToken, 'GET', '/api/v1/cluster/nodes')).status, 200, 'the console\'s site token reads them')

  const backlog = async (): Promise<unknown> => await (await asSession(c, viewer, 'GET', '/api/v1/backlog')).json()
  t.same(await backlog(), { batches: 0, pendingPunches: 0, oldestReceived: null, deadLetters: 1, capped: false }, 'a viewer reads the shared outbox\'s backlog')
  t.equal((await asSession(c, viewer, 'GET', '/api/v1/dead-letters')).status, 403, 'a viewer may not read dead letters')
  const letters = await (await asSession(c, hr, 'GET', '/api/v1/dead-letters')).json() as Array<{ rowId: number, emp: string, status: number, reason: string }>
  t.match(letters, [{ emp: 'E1', status: 422, reason: 'unknown employee' }], 'hr reads the cluster\'s dead letters in the single box\'s shape')
  t.equal((await asSession(c, viewer, 'POST', '/api/v1/dead-letters/replay', { all: true })).status, 403, 'a viewer may not replay')
  const noCsrf = await asSession(c, hr, 'POST', '/api/v1/dead-letters/replay', { all: true }, false)
  t.match({ status: noCsrf.status, body: await noCsrf.json() }, { status: 403, body: { error: 'csrf' } }, 'a change on a session needs its CSRF token')
  const bad = await asSession(c, hr, 'POST', '/api/v1/dead-letters/replay', { every: true })
  t.equal(bad.status, 400, 'a body out of its schema is refused')
  const replay = await asSession(c, hr, 'POST', '/api/v1/dead-letters/replay', { ids: [letters[0].rowId] })
  t.same(await replay.json(), { replayed: 1 }, 'hr replays it')
  t.same(await (await asSession(c, admin, 'GET', '/api/v1/dead-letters')).json(), [], 'none left open')
  t.same(await backlog(), { batches: 0, pendingPunches: 1, oldestReceived: T0, deadLetters: 0, capped: false }, 'the replayed punch waits in the outbox')
  const outbox = await store.claim({ size: 10, node: 'check' })
  t.same(outbox?.punches.map(p => p.emp), ['E1'], 'the punch is back in the shared outbox')

  const audit = await (await asSession(c, admin, 'GET', '/api/v1/audit')).json() as { entries: Array<{ action: string, actor: string, target: string }> }
  t.match(audit.entries.find(r => r.action === 'deadletters.replay'), { actor: 'op-hr', target: `ids ${letters[0].rowId}` }, 'the replay is in the console\'s audit log')

  const served = await (await apiFetch(c.httpUrl + '/api/v1/openapi.json', {})).json()
  t.same(served, JSON.parse(readFileSync(new URL('../docs/openapi-cluster.json', import.meta.url), 'utf8')), 'docs/openapi-cluster.json is out of date: regenerate it with npm run docs:openapi')

  const page = await apiFetch(c.httpUrl + '/', {})
  t.equal(page.status, 200, 'the web console is served')

  const second = new ClusterConsoleProcess(c.configFile, data)
  t.equal(await second.exited, 75, 'a second console on the same data directory is refused (EX_TEMPFAIL)')
  t.match(second.stderr, /gateway\.lock|in use|held/i)
  t.equal(await c.stop(), 0, 'the console stops on SIGTERM with status 0')
})

t.test('punchline console refuses without --cluster or without the shared store', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-cluster-console-cfg-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const plain = startClusterConsole(t, dir, join(dir, 'data'), { http: { port: 0 } })
  t.equal(await plain.exited, 1)
  t.match(plain.stderr, /cluster\.postgres: required with --cluster/)
})
