/**
 * The cluster-on-NATS scenario, shared by its tap test (test/cluster-nats.test.ts, 30 devices) and its
 * long run in `npm run faults` (cluster-nats.ts, 1,000 devices): three gateway nodes over a 3-node NATS
 * cluster and one PostgreSQL, devices with file rings punching through their real uplinks (each on one NATS
 * server's MQTT listener, failing over to the others), a webhook upstream. Mid-ingest one node is killed with
 * SIGKILL, then one NATS server (the one the most devices use); the load goes on through both kills, then
 * stops and the rings drain. What it returns is judged by the caller: every acked punch stored and
 * upstream, duplicates upstream only under a key already answered, the survivors' acks rising after each
 * kill.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { punchId } from '../shared/punch.js'
import { DeviceFleet } from './load.js'
import { startNatsCluster, type NatsServerProcess } from './nats-cluster.js'
import { connectionString, startPostgresServer } from '../fakes/servers/postgres-server.js'
import { startClusterNode } from './cluster-node-process.js'

export interface NatsClusterRunOptions {
  /** ring files and node configs */
  dir: string
  devices: number
  /** the simulator's light MQTT client for each device (a fleet of thousands) rather than MQTT.js */
  lite: boolean
  /** every device punches once this often */
  punchEveryMs: number
  /** punches acked cluster-wide before each kill, and after it before the next step */
  phaseAcks: number
  /**
   * start the killed NATS server again once the survivors have acked past its death, before the drain;
   * otherwise the drain runs on two servers
   */
  restartServer: boolean
  /** where the run puts what ends it (servers, processes, devices): a tap Test's teardown, or the suite's */
  teardown: (fn: () => void | Promise<void>) => void
  say?: (line: string) => void
}

export interface SurvivorCounts { node: string, before: number, after: number }

export interface NatsClusterRunResult {
  acked: number
  taken: number
  drained: boolean
  ackedNotStored: string[]
  ackedNotUpstream: string[]
  /** punches upstream more than once other than as retries under a key already answered */
  unkeyedDuplicates: string[]
  /** copies upstream beyond the first, all under a key already answered when unkeyedDuplicates is empty */
  duplicates: number
  storedTwice: number
  survivorsAfterNodeKill: SurvivorCounts[]
  survivorsAfterBrokerKill: SurvivorCounts[]
  /** device reconnects after the NATS server kill */
  failovers: number
  /** from the end of the load to the rings empty and the upstream holding every acked punch */
  drainMs: number
  killedServer: NatsServerProcess
  ackedPerNode: Record<string, number>
  ms: number
  summary: string
}

/** devices started together, the next wave once these are online */
const START_WAVE = 50

/** how long each wait may take on a loaded machine: generous, never asserted as a speed */
const PHASE_TIMEOUT_MS = 180_000

export async function runNatsClusterFault (o: NatsClusterRunOptions): Promise<NatsClusterRunResult> {
  const started = performance.now()
  const say = o.say ?? (() => {})
  const t = { teardown: o.teardown }
  const server = await startPostgresServer()
  o.teardown(server.stop)
  const db = await server.database()
  const nats = await startNatsCluster(t)
  const upstream = new WebhookUpstream()
  await upstream.start()
  o.teardown(async () => await upstream.close())
  const connection = connectionString(db)
  const config = {
    gatewayId: 'cluster-nats',
    upstream: { url: upstream.url },
    http: { port: 0 },
    forward: { batchSize: 200, concurrency: 2, backoffBaseMs: 100, backoffCapMs: 1000 },
    cluster: { broker: { url: nats.natsUrls.join(',') }, postgres: connection, group: 'punchline-nats', leaseMs: 3000, pollMs: 50, statsSeconds: 0.2 }
  }
  const nodes = ['n1', 'n2', 'n3'].map(id => startClusterNode(t, o.dir, id, config))
  await Promise.all(nodes.map(async n => await n.ready(60_000)))
  say(`3 nodes taking batches from ${nats.servers.length} NATS servers`)

  const ids = Array.from({ length: o.devices }, (_, i) => `NX-${i + 1}`)
  const fleet = new DeviceFleet(ids, {
    dir: o.dir,
    url: nats.mqttUrls[0],
    brokers: nats.mqttUrls,
    capacity: 1024,
    batchSize: 50,
    window: 2,
    // Each status is a retained message: JetStream writes it on every server. A minute apart, as a watch.
    statusIntervalMs: 60_000,
    // A device's own default: a fleet reconnecting within 300 ms after a NATS server's death is a herd whose
    // consumer creates never converge (docs/DESIGN-NOTES.md, "Cluster mode on NATS").
    backoffCapMs: 10_000,
    lite: o.lite
  })
  o.teardown(async () => await fleet.stop())
  const online = (): number => fleet.devices.filter(d => d.uplink.connected).length
  const ticker = setInterval(() => { say(`  ${online()} of ${o.devices} devices online, ${fleet.truth.acked} punches acked, nodes ${nodes.map(n => `${n.nodeId} ${n.counts.acked}`).join(' ')}`) }, 15_000)
  o.teardown(() => { clearInterval(ticker) })
  // In waves, each online before the next: each connect makes JetStream consumers for the device's QoS 1
  // subscriptions, and a thousand at once time out and retry as a herd.
  for (let i = 0; i < fleet.devices.length; i += START_WAVE) {
    const wave = fleet.devices.slice(i, i + START_WAVE)
    for (const d of wave) await d.start()
    await waitFor(() => wave.every(d => d.uplink.connected), `devices ${i + 1} to ${i + wave.length} connected`)
  }
  say(`${o.devices} devices connected`)
  fleet.startLoad(o.punchEveryMs)
  const total = (): number => fleet.truth.acked

  await waitFor(() => total() >= o.phaseAcks && nodes[0].counts.acked > 0, 'acks before the node kill')
  const [victim, ...survivors] = nodes
  victim.kill9()
  const beforeNode = survivors.map(n => n.counts.acked)
  const atNodeKill = total()
  say(`killed node ${victim.nodeId} (SIGKILL) at ${atNodeKill} punches acked`)
  await waitFor(() => total() >= atNodeKill + o.phaseAcks && survivors.every((n, i) => n.counts.acked > beforeNode[i]), 'the survivors to ack after the node kill')
  const survivorsAfterNodeKill = survivors.map((n, i) => ({ node: n.nodeId, before: beforeNode[i], after: n.counts.acked }))

  // The NATS server the most devices use now.
  const connects = fleet.devices.reduce((n, d) => n + d.uplink.stats.connects, 0)
  const killed = nats.servers[0]
  killed.kill9()
  await waitFor(() => !killed.alive, `${killed.name} to exit`)
  const beforeBroker = survivors.map(n => n.counts.acked)
  const atBrokerKill = total()
  say(`killed NATS server ${killed.name} (SIGKILL) at ${atBrokerKill} punches acked`)
  // Not `phaseAcks` more here: with one server dead, a large fleet's reconnects can keep JetStream too busy
  // to make their consumers until it is back (docs/DESIGN-NOTES.md, "Cluster mode on NATS").
  await waitFor(() => survivors.every((n, i) => n.counts.acked > beforeBroker[i]), 'the survivors to ack after the NATS server kill')
  const survivorsAfterBrokerKill = survivors.map((n, i) => ({ node: n.nodeId, before: beforeBroker[i], after: n.counts.acked }))
  say(`survivors acked after the NATS kill; ${online()} of ${o.devices} devices online, ${fleet.devices.reduce((n, d) => n + d.uplink.stats.disconnects, 0)} disconnects so far`)
  if (o.restartServer) {
    await nats.restart(killed)
    say(`${killed.name} restarted and back in the cluster`)
  }
  await fleet.stopLoad()
  const taken = fleet.truth.size
  say(`load stopped: ${taken} punches taken; draining`)
  const drainStarted = performance.now()

  const drained = await fleet.drained(upstream, PHASE_TIMEOUT_MS)
  const drainMs = performance.now() - drainStarted
  say(`drained: ${String(drained)} after ${(drainMs / 1000).toFixed(1)} s; ${online()} devices online`)
  const failovers = fleet.devices.reduce((n, d) => n + d.uplink.stats.connects, 0) - connects
  const acked = [...fleet.truth.ids('acked')]
  const client = new pg.Client(db)
  await client.connect()
  let rows: Array<{ device: string, epoch: string, seq: number }>
  try {
    await waitFor(async () => (await client.query('SELECT count(*)::int AS n FROM outbox')).rows[0].n === 0, 'the shared outbox to empty')
    rows = (await client.query<{ device: string, epoch: string, seq: number }>('SELECT device, epoch, seq FROM punches')).rows
  } finally {
    await client.end()
  }
  const stored = new Set(rows.map(r => punchId(r.device, r.epoch, Number(r.seq))))
  const unkeyedDuplicates = [...upstream.received].filter(([id, n]) => n > 1 && (upstream.retried.get(id) ?? 0) !== n - 1).map(([id]) => id)
  const ackedPerNode = Object.fromEntries(nodes.map(n => [n.nodeId, n.counts.acked]))
  const ms = performance.now() - started
  const result: NatsClusterRunResult = {
    acked: acked.length,
    taken,
    drained,
    ackedNotStored: acked.filter(id => !stored.has(id)),
    ackedNotUpstream: acked.filter(id => !upstream.received.has(id)),
    unkeyedDuplicates,
    duplicates: upstream.duplicates,
    storedTwice: rows.length - stored.size,
    survivorsAfterNodeKill,
    survivorsAfterBrokerKill,
    failovers,
    drainMs,
    killedServer: killed,
    ackedPerNode,
    ms,
    summary: ''
  }
  result.summary = `${o.devices} devices, ${acked.length} punches acked, ${upstream.duplicates} upstream duplicates (all under an answered key: ${unkeyedDuplicates.length === 0}), ` +
    `batches acked per node ${nodes.map(n => `${n.nodeId} ${n.counts.acked}`).join(', ')}, ${failovers} device reconnects after the NATS kill, ${(ms / 1000).toFixed(1)} s`
  return result
}

async function waitFor (cond: () => boolean | Promise<boolean>, what: string, timeoutMs = PHASE_TIMEOUT_MS): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(200)
  }
}
