/**
 * Cluster mode with real processes (docs/OPERATIONS.md "Topologies"): a private Mosquitto, a private
 * PostgreSQL, three `punchline gateway --cluster` node processes, a webhook upstream, and real device
 * runtimes with rings publishing through the broker. One node is killed with SIGKILL mid-ingest: every
 * punch a device saw acked is in PostgreSQL and reaches the upstream, a punch goes upstream twice only
 * under an Idempotency-Key already answered, and the surviving nodes take the load.
 */
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import mqtt from 'mqtt'
import pg from 'pg'
import { pino } from 'pino'
import { DeviceFleet, faultDeviceConfig } from '../faults/load.js'
import { parseDeviceConfig } from '../device/config.js'
import { DeviceRuntime } from '../device/runtime.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { punchId } from '../shared/punch.js'
import { startMosquitto } from './helpers/mosquitto.js'
import { connectionString, startPostgres } from './helpers/postgres.js'
import { startClusterNode, type ClusterNodeProcess } from './helpers/cluster-node-process.js'
import { until } from './helpers/wait.js'
import { cliAsync } from './helpers/gateway-process.js'

const DEVICES = 24
/** short, so the killed node's batch goes to a survivor within the test */
const LEASE_MS = 2000

/** a sample's value in Prometheus text; `name` is a regular expression (labels escaped) */
function metricValue (text: string, name: string): number {
  return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0)
}

t.test('three nodes, one killed with SIGKILL mid-ingest: no acked punch lost, duplicates only under a repeated key', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-cluster-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startPostgres(t)
  const db = await server.database()
  const connection = connectionString(db)
  const broker = await startMosquitto(t)
  const upstream = new WebhookUpstream()
  await upstream.start()
  t.teardown(async () => await upstream.close())

  const config = {
    gatewayId: 'cluster-test',
    upstream: { url: upstream.url },
    http: { port: 0 },
    forward: { batchSize: 40, concurrency: 2, backoffBaseMs: 100, backoffCapMs: 1000 },
    cluster: { broker: { url: broker.url }, postgres: connection, group: 'punchline-test', leaseMs: LEASE_MS, pollMs: 50, statsSeconds: 0.2 }
  }
  const nodes: ClusterNodeProcess[] = ['n1', 'n2', 'n3'].map(id => startClusterNode(t, dir, id, config))
  await Promise.all(nodes.map(async n => await n.ready()))

  // Bad input from a device: answered with an error ack naming the problem, and no node stops.
  const prober = await mqtt.connectAsync(broker.url, { clientId: 'BAD-1' })
  t.teardown(async () => { await prober.endAsync() })
  const errorAck = new Promise<string>(resolve => prober.on('message', (_topic, payload) => resolve(payload.toString())))
  await prober.subscribeAsync('att/v1/BAD-1/acks', { qos: 1 })
  await prober.publishAsync('att/v1/BAD-1/punches', '{"v":1,"id":"b-1","epoch":"9f2c41d0","punches":"not a list"}', { qos: 1 })
  t.match(JSON.parse(await errorAck), { v: 1, id: 'b-1', error: /punches/ }, 'an unreadable batch gets an error ack naming the field')
  await prober.publishAsync('att/v1/no%spaces allowed/punches', '{}', { qos: 1 })
  await until(async () => {
    let refused = 0
    for (const n of nodes) refused += metricValue(await n.metrics(), 'punchline_rejects_total\\{field="device"\\}')
    return refused === 1
  }, 'the batch on a topic with no valid device id to be counted', 10_000)
  t.ok(nodes.every(n => n.alive), 'no node stopped for them')

  const fleet = new DeviceFleet(Array.from({ length: DEVICES }, (_, i) => `CL-${i + 1}`), { dir, url: broker.url, capacity: 4096, batchSize: 20, window: 2 })
  t.teardown(async () => await fleet.stop())
  await fleet.start()
  fleet.startLoad(100)

  const client = new pg.Client(db)
  await client.connect()
  t.teardown(async () => await client.end())

  // Answers slow until the kill, so that n1 is killed while the upstream holds one of its batches.
  let answerDelayMs = 1500
  /** Idempotency-Key → when its first request arrived: its answer goes out answerDelayMs later, from this process */
  const arrived = new Map<string, number>()
  upstream.respond(req => {
    const key = req.headers['idempotency-key']
    if (typeof key === 'string' && !arrived.has(key)) arrived.set(key, performance.now())
    return { status: 200, delayMs: answerDelayMs }
  })
  const [victim, ...survivors] = nodes
  await until(() => victim.counts.acked > 0 && victim.counts.delivered > 0, () => `node n1 to ack and deliver (counts ${JSON.stringify(victim.counts)})`, 60_000)
  let heldKey = ''
  await until(async () => {
    const { rows } = await client.query<{ key: string }>("SELECT key FROM forward_batches WHERE owner = 'n1'")
    // A batch whose answer has not gone out yet: its answer timer runs in this process and cannot fire
    // before the kill below, which follows in the same turn. (A batch already answered may be completed
    // by n1 just after the query read its row, and then is rightly never sent again.)
    const now = performance.now()
    heldKey = rows.map(r => r.key).find(k => now - (arrived.get(k) ?? -Infinity) < answerDelayMs - 500) ?? ''
    return heldKey !== ''
  }, 'n1 to hold a batch the upstream has not answered yet', 30_000)
  victim.kill9()
  answerDelayMs = 0
  const atKill = survivors.map(n => n.counts.acked)
  await sleep(3000)
  await fleet.stopLoad()

  t.ok(await fleet.drained(upstream, 120_000), 'the rings hold nothing unacked and the upstream has every acked punch')
  const acked = [...fleet.truth.ids('acked')]
  t.ok(acked.length > DEVICES * 10, `punches acked: ${acked.length}`)

  const { rows } = await client.query<{ device: string, epoch: string, seq: number }>('SELECT device, epoch, seq FROM punches')
  const stored = new Set(rows.map(r => punchId(r.device, r.epoch, Number(r.seq))))
  t.same(acked.filter(id => !stored.has(id)), [], 'every acked punch is in PostgreSQL')
  t.same(acked.filter(id => !upstream.received.has(id)), [], 'every acked punch reached the upstream')
  const unkeyed = [...upstream.received].filter(([id, n]) => n > 1 && (upstream.retried.get(id) ?? 0) !== n - 1)
  t.same(unkeyed, [], 'a punch reached the upstream twice only under an Idempotency-Key already answered')
  t.equal(stored.size, rows.length, 'no punch stored twice')
  t.ok(upstream.requests.filter(r => r.headers['idempotency-key'] === heldKey).length >= 2, 'the batch n1 held was sent again by a survivor under its key, after its lease')
  t.equal(upstream.retried.size > 0, true, 'its punches counted upstream as a retry under a key already answered')
  await until(async () => (await client.query('SELECT count(*)::int AS n FROM outbox')).rows[0].n === 0, 'the shared outbox to empty', 30_000)

  await until(() => survivors.every(n => n.counts.delivered + n.counts.acked > 0), 'survivor counts', 5000)
  survivors.forEach((n, i) => {
    t.ok(n.counts.acked > atKill[i], `${n.nodeId} acked after the kill (${atKill[i]} → ${n.counts.acked})`)
  })
  for (const n of survivors) {
    const text = await n.metrics()
    t.ok(metricValue(text, 'punchline_batches_total\\{result="ok"\\}') > 0, `${n.nodeId}'s /metrics counts the batches it acked`)
    t.ok(metricValue(text, 'punchline_forwarded_punches_total') > 0, `${n.nodeId}'s /metrics counts the punches it delivered`)
  }
  for (const n of survivors) t.equal(await n.stop(), 0, `${n.nodeId} stops on SIGTERM with status 0`)
  t.comment(`acks per node: ${nodes.map(n => `${n.nodeId} ${n.counts.acked}`).join(', ')}; upstream duplicates ${upstream.duplicates}, leases lost ${survivors.map(n => n.counts.leaseLost).join('/')}`)
})

t.test('a node refuses to start without its broker or store, naming the setting', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-cluster-cfg-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'node.json')
  writeFileSync(file, JSON.stringify({ cluster: { group: 'g' } }))
  const missing = await cliAsync(['gateway', '--cluster', '--config', file])
  t.equal(missing.status, 1)
  t.match(missing.stderr, /cluster\.broker\.url: required with --cluster/)
  t.match(missing.stderr, /cluster\.postgres: required with --cluster/)

  writeFileSync(file, JSON.stringify({ cluster: { broker: { url: 'http://broker' }, group: 'a/b', leaseMs: 5 } }))
  const bad = await cliAsync(['gateway', '--cluster', '--config', file])
  t.equal(bad.status, 1)
  t.match(bad.stderr, /cluster\.broker\.url: must be an mqtt:\/\/ or mqtts:\/\/ URL/)
  t.match(bad.stderr, /cluster\.group: must be 1 to 64 letters/)
  t.match(bad.stderr, /cluster\.leaseMs: must be between 100 and 86400000/)
})

t.test('a device whose status says its clock is not synced gets the time from a node', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-cluster-clock-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startPostgres(t)
  const db = await server.database()
  const broker = await startMosquitto(t)
  const node = startClusterNode(t, dir, 'c1', {
    http: { port: 0 },
    cluster: { broker: { url: broker.url }, postgres: connectionString(db), statsSeconds: 0.2 }
  })
  await node.ready()
  const config = parseDeviceConfig({ ...faultDeviceConfig('CLOCK-1', { dir, url: broker.url, capacity: 64 }), clock: { trustSystemClock: false } })
  const device = new DeviceRuntime(config, { log: pino({ level: 'silent' }) })
  t.teardown(async () => await device.stop())
  t.equal(device.clock.synced, false, 'the device starts with its clock not synced')
  await device.start()
  await until(() => device.clock.synced, 'the device clock to be set by a node', 20_000)
  const o = device.punch({ emp: 'E1', method: 'card' })
  t.equal(o.outcome, 'accepted')
  await until(() => device.ring.stats().pending === 0, 'the punch to be acked', 20_000)
  t.match(await node.metrics(), /punchline_cluster_statuses_total\{outcome="time-sent"\} 1\b/, 'one time command for it')
})
