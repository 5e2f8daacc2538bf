/**
 * Cluster mode on NATS with real processes (docs/OPERATIONS.md "Topologies"): a private 3-node NATS 2.9
 * cluster with its MQTT listener and JetStream, a private PostgreSQL, three `punchline gateway --cluster`
 * node processes taking batches through a NATS queue group, a webhook upstream, and real device runtimes
 * with file rings, each connected by MQTT to one NATS server and failing over to the others. Mid-ingest one
 * node is killed with SIGKILL, then one NATS server: every punch a device saw acked is in PostgreSQL and
 * reaches the upstream, a punch goes upstream twice only under an Idempotency-Key already answered, and
 * the survivors take the load; the killed NATS server is started again before the drain. The long run
 * (1,000 devices) is `npm run faults` (faults/cluster-nats.ts).
 */
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { startNatsCluster } from './helpers/nats.js'
import { startClusterNode } from './helpers/cluster-node-process.js'
import { until } from './helpers/wait.js'
import { runNatsClusterFault } from '../faults/cluster-nats-run.js'
import { CLUSTER_NATS } from '../faults/cluster-nats.js'

t.test('NATS cluster: a node, then a NATS server killed with SIGKILL mid-ingest; no acked punch lost', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-cluster-nats-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const r = await runNatsClusterFault({ dir, ...CLUSTER_NATS.short, lite: false, restartServer: true, teardown: fn => t.teardown(fn) })
  t.comment(r.summary)
  t.ok(r.acked > 200, `punches acked: ${r.acked}`)
  t.ok(r.drained, 'the rings hold nothing unacked and the upstream has every acked punch')
  t.same(r.ackedNotStored, [], 'every acked punch is in PostgreSQL')
  t.same(r.ackedNotUpstream, [], 'every acked punch reached the upstream')
  t.same(r.unkeyedDuplicates, [], 'a punch reached the upstream twice only under an Idempotency-Key already answered')
  t.equal(r.storedTwice, 0, 'no punch stored twice')
  for (const s of r.survivorsAfterNodeKill) t.ok(s.after > s.before, `${s.node} acked after the node kill (${s.before} → ${s.after})`)
  for (const s of r.survivorsAfterBrokerKill) t.ok(s.after > s.before, `${s.node} acked after the NATS server kill (${s.before} → ${s.after})`)
  t.ok(r.failovers > 0, `devices of the killed NATS server failed over to the others (${r.failovers} reconnects)`)
  t.ok(r.killedServer.alive, `${r.killedServer.name} restarted on its store and the cluster formed again`)
})

t.test('NATS shared subscriptions: $share is granted and matches nothing, so the nodes use a queue group', async t => {
  const nats = await startNatsCluster(t)
  const sub = await mqtt.connectAsync(nats.mqttUrls[0], { clientId: 'SHARE-PROBE', clean: true })
  t.teardown(async () => { await sub.endAsync(true) })
  let got = 0
  sub.on('message', () => { got++ })
  const granted = await sub.subscribeAsync('$share/g/att/v1/+/punches', { qos: 1 })
  t.equal(granted[0].qos, 1, 'NATS 2.9 grants the $share subscription')
  const plain = await sub.subscribeAsync('att/v1/+/punches', { qos: 1 })
  t.equal(plain[0].qos, 1)
  const device = await mqtt.connectAsync(nats.mqttUrls[1], { clientId: 'SHARE-DEV', clean: true })
  t.teardown(async () => { await device.endAsync(true) })
  await device.publishAsync('att/v1/SHARE-DEV/punches', 'x', { qos: 1 })
  await until(() => got >= 1, 'the plain subscription to get the batch', 20_000)
  t.equal(got, 1, 'only the plain subscription got it: $share matched nothing (docs/DESIGN-NOTES.md, "Cluster mode on NATS")')
})

t.test('a node with a nats:// broker refuses a topic prefix NATS cannot map', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-cluster-nats-cfg-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const node = startClusterNode(t, dir, 'p1', {
    topicPrefix: 'site.a/v1',
    http: { port: 0 },
    cluster: { broker: { url: 'nats://127.0.0.1:1' }, postgres: 'postgres://nobody@127.0.0.1:1/none' }
  })
  await until(() => !node.alive, 'the node to exit', 30_000)
  t.equal(node.child.exitCode, 1)
  t.match(node.stderr, /topicPrefix: with a nats:\/\/ broker must have no '\.'/)
})
