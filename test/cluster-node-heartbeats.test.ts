/**
 * Which nodes of a cluster are alive, with real processes (docs/OPERATIONS.md "Topologies"): a private
 * PostgreSQL and Mosquitto, two `punchline gateway --cluster` nodes writing heartbeats, and `punchline
 * nodes --cluster` reading them. One node killed with SIGKILL turns stale and its survivor warns of it
 * once; the survivor stopped with SIGTERM shows stopped.
 */
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NodeRecord } from '../gateway/cluster/node-registry.js'
import { startMosquitto } from './helpers/mosquitto.js'
import { connectionString, startPostgres } from './helpers/postgres.js'
import { startClusterNode } from './helpers/cluster-node-process.js'
import { cliAsync } from './helpers/gateway-process.js'
import { until } from './helpers/wait.js'

// n1 is asserted alive at single moments below: a beat long enough that a loaded CI machine does not make
// it miss three (1.5 s at 500 ms could).
const HEARTBEAT_MS = 1000

t.test('two nodes alive; one killed turns stale, its survivor warns once; the other stopped shows stopped', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-nodes-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startPostgres(t)
  const db = await server.database()
  const broker = await startMosquitto(t)
  const brokerUrl = broker.url.replace('mqtt://', 'mqtt://node:s3cret@')
  const config = {
    gatewayId: 'nodes-test',
    http: { port: 0 },
    cluster: { broker: { url: brokerUrl }, postgres: connectionString(db), leaseMs: 2000, pollMs: 50, statsSeconds: 60, heartbeatMs: HEARTBEAT_MS }
  }
  const [n1, n2] = ['n1', 'n2'].map(id => startClusterNode(t, dir, id, config))
  const nodeConfig = join(dir, 'n1.json')

  const list = async (): Promise<NodeRecord[]> => {
    const r = await cliAsync(['nodes', '--cluster', '--config', nodeConfig, '--json'])
    if (r.status !== 0) throw new Error(`punchline nodes: ${r.status} ${r.stderr}`)
    return JSON.parse(r.stdout) as NodeRecord[]
  }
  const stateOf = (nodes: NodeRecord[], id: string): string | undefined => nodes.find(n => n.nodeId === id)?.state
  let nodes: NodeRecord[] = []
  await until(async () => {
    nodes = await list()
    return stateOf(nodes, 'n1') === 'alive' && stateOf(nodes, 'n2') === 'alive'
  }, () => `both nodes alive in punchline nodes (${JSON.stringify(nodes)}; n1 stderr ${n1.stderr})`, 30_000)
  const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version
  t.match(nodes.find(n => n.nodeId === 'n2'), { pid: n2.child.pid, version, intervalMs: HEARTBEAT_MS, stoppedAt: null, counts: { acked: 0, unacked: 0, claimsHeld: 0 } }, 'its row says which process it is')
  const row = nodes.find(n => n.nodeId === 'n1')
  t.equal(row?.broker, broker.url.replace('mqtt://', 'mqtt://node:***@'), 'the broker URL without its password')
  t.notMatch(JSON.stringify(nodes), /s3cret/, 'the password is nowhere in the list')

  n2.kill9()
  await until(async () => {
    nodes = await list()
    return stateOf(nodes, 'n2') === 'stale'
  }, () => `n2 to turn stale (${JSON.stringify(nodes)})`, 30_000)
  t.equal(stateOf(nodes, 'n1'), 'alive', 'the survivor stays alive')
  const staleWarnings = (): number => n1.logs.filter(l => l.level === 40 && l.peer === 'n2' && /peer node stale/.test(l.msg)).length
  await until(() => staleWarnings() > 0, 'the survivor to warn that n2 is stale', 30_000)
  // Three more of the survivor's beats, each reading its peers again: still one warning.
  const seen = nodes.find(n => n.nodeId === 'n1')?.lastSeen ?? 0
  await until(async () => {
    nodes = await list()
    return (nodes.find(n => n.nodeId === 'n1')?.lastSeen ?? 0) >= seen + 3 * HEARTBEAT_MS
  }, 'three more beats of n1', 30_000)
  t.equal(staleWarnings(), 1, 'the survivor warned once')
  t.match(n1.logs.find(l => l.peer === 'n2'), { leaseMs: 2000, pid: n2.child.pid }, 'naming the peer and when its leases run out')

  const text = await cliAsync(['nodes', '--cluster', '--config', nodeConfig])
  t.equal(text.status, 0)
  t.match(text.stdout, /^NODE\s+STATE\s+LAST SEEN/m)
  t.match(text.stdout, /^n2\s+stale\s/m)
  t.match(text.stdout, /1 alive, 1 stale, 0 stopped/)
  t.match(text.stdout, /^outbox: 0 punches waiting for the upstream in 0 batches; 0 dead letters$/m, 'and the shared outbox under the table')

  const forget = async (id: string): Promise<{ status: number | null, stdout: string, stderr: string }> => await cliAsync(['nodes', 'forget', id, '--cluster', '--config', nodeConfig])
  const alive = await forget('n1')
  t.equal(alive.status, 1)
  t.match(alive.stderr, /nodes forget: node 'n1' is alive/, 'an alive node is not forgotten')
  t.match(await forget('n2'), { status: 0, stdout: /forgot node n2/ }, 'the dead one is')
  t.same((await list()).map(n => n.nodeId), ['n1'], 'and is no longer listed')
  t.match((await forget('n2')).stderr, /no node 'n2'/)

  t.equal(await n1.stop(), 0, 'n1 stops on SIGTERM with status 0')
  nodes = await list()
  t.equal(stateOf(nodes, 'n1'), 'stopped', 'a node stopped cleanly shows stopped at once')
  t.type(nodes.find(n => n.nodeId === 'n1')?.stoppedAt, 'number')
})

t.test('punchline nodes refuses without --cluster, and names a missing store', async t => {
  const single = await cliAsync(['nodes'])
  t.equal(single.status, 1)
  t.match(single.stderr, /nodes: lists a cluster's nodes; give --cluster/)
  const dir = mkdtempSync(join(tmpdir(), 'punchline-nodes-cfg-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const none = await cliAsync(['nodes', '--cluster', '--config', join(dir, 'missing.json')])
  t.equal(none.status, 1)
  t.ok(none.stderr.length > 0, `an error: ${none.stderr.trim()}`)
})
