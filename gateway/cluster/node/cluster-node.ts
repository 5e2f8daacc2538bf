/**
 * A stateless cluster node (`punchline gateway --cluster`, docs/OPERATIONS.md "Topologies"): no embedded
 * broker and no local database. It connects to the cluster's MQTT broker as a client, takes device batches
 * through a shared subscription (each batch goes to one node of the group), stores them through the shared
 * PostgreSQL store with group commit, and only then publishes the device's ack, exactly as the single box
 * does (gateway/ingest/ingest.ts is reused whole). The device's ring keeps every punch until that ack: that,
 * not the broker's PUBACK or its redelivery, is what keeps a punch when a node dies.
 *
 * Its forwarder (delivery-loop.ts) claims batches from the shared outbox, so every node forwards and no
 * two send the same batch at once.
 *
 * Loaded only by import() behind --cluster: the single box never loads MQTT.js as a client for this, the
 * PostgreSQL client or anything in gateway/cluster/.
 */
import type { Server } from 'node:http'
import { hostname } from 'node:os'
import mqtt, { type MqttClient } from 'mqtt'
import { Counter } from 'prom-client'
import type { Logger } from '../../../shared/log.js'
import { Topics } from '../../../shared/topics.js'
import type { ClusterConfig, GatewayConfig } from '../../config.js'
import { createSink } from '../../forward/create-sink.js'
import { Ingest } from '../../ingest/ingest.js'
import { GatewayMetrics } from '../../metrics.js'
import type { ClusterStore } from '../cluster-store.js'
import { DeliveryLoop, type DeliveryCounts } from './delivery-loop.js'
import { listenForMetrics } from './metrics-listener.js'
import { StoreCommitter } from './store-committer.js'
import { ClockSync } from './clock-sync.js'
import { StatusWriter } from './status-writer.js'
import { decodeStatus } from '../../../shared/codec/status.js'
import { NodeRules } from './node-rules.js'
import { UnmappedRelease } from './unmapped-release.js'
import { isNatsUrl, NatsLink, natsPrefixProblem } from './nats-link.js'
import { Heartbeat } from './heartbeat.js'
import { brokerWithoutPassword } from '../node-registry.js'
import { punchlineVersion } from './punchline-version.js'
import { doneWithin } from '../deadline.js'

/** Refuses cluster settings a node cannot run with, naming each. */
export function checkClusterConfig (c: ClusterConfig, topicPrefix?: string): void {
  const missing: string[] = []
  const prefix = topicPrefix === undefined || !isNatsUrl(c.broker.url) ? undefined : natsPrefixProblem(topicPrefix)
  if (prefix !== undefined) missing.push(prefix)
  if (c.broker.url === '') missing.push("cluster.broker.url: required with --cluster (the cluster's broker: mqtt://, mqtts://, or nats:// URLs separated by commas)")
  if (c.postgres === '') missing.push('cluster.postgres: required with --cluster (a connection string to the shared PostgreSQL store)')
  if (missing.length > 0) throw new Error(missing.join('; '))
}

/** the device's batches as one node of the group receives them: MQTT 5 and 3.1.1 shared subscriptions */
export function sharedPunchesTopic (group: string, topics: Topics): string {
  return `$share/${group}/${topics.prefix}/+/punches`
}

/** the devices' statuses, each to one node: for the time command (clock-sync.ts) and the shared store (status-writer.ts) */
export function sharedStatusTopic (group: string, topics: Topics): string {
  return `$share/${group}/${topics.prefix}/+/status`
}

export interface NodeCounts extends DeliveryCounts {
  /** batches answered with an ack */
  acked: number
  /** batches left without an ack (store unreachable, queue full): the device resends */
  unacked: number
}

export class ClusterNode {
  readonly counts: NodeCounts = { acked: 0, unacked: 0, delivered: 0, punchesDelivered: 0, failed: 0, leaseLost: 0, splits: 0, deadLettered: 0 }
  readonly metrics = new GatewayMetrics()
  readonly nodeId: string
  readonly #cfg: GatewayConfig
  readonly #log: Logger
  #store?: ClusterStore
  #client?: MqttClient
  #nats?: NatsLink
  #delivery?: DeliveryLoop
  #committer?: StoreCommitter
  #statsTimer?: NodeJS.Timeout
  #http?: Server
  #rules?: NodeRules
  #heartbeat?: Heartbeat
  #statuses?: StatusWriter
  #release?: UnmappedRelease
  readonly leasesLost = new Counter({
    name: 'punchline_cluster_leases_lost_total',
    help: 'Deliveries abandoned because their lease ran out before a renewal (another node may send the batch, under the same key)',
    registers: [this.metrics.registry]
  })

  constructor (cfg: GatewayConfig, log: Logger) {
    checkClusterConfig(cfg.cluster, cfg.topicPrefix)
    this.#cfg = cfg
    this.nodeId = cfg.cluster.nodeId === '' ? cfg.gatewayId : cfg.cluster.nodeId
    this.#log = log.child({ node: this.nodeId })
  }

  async start (): Promise<void> {
    const c = this.#cfg.cluster
    const log = this.#log
    const { PostgresClusterStore } = await import('../postgres/postgres-cluster-store.js')
    const rules = this.#rules = new NodeRules(this.#cfg, log.child({ part: 'rules' }))
    const store = this.#store = await PostgresClusterStore.open({ connectionString: c.postgres, leaseMs: c.leaseMs, rules: rules.rules })
    await rules.start(store)
    const committer = this.#committer = new StoreCommitter(store, c.maxQueuedRows)
    const startedAt = Date.now()
    this.#heartbeat = new Heartbeat({
      store,
      intervalMs: c.heartbeatMs,
      leaseMs: c.leaseMs,
      log: log.child({ part: 'heartbeat' }),
      snapshot: () => ({
        nodeId: this.nodeId,
        host: hostname(),
        pid: process.pid,
        version: punchlineVersion(),
        broker: brokerWithoutPassword(c.broker.url),
        startedAt,
        counts: {
          acked: this.counts.acked,
          unacked: this.counts.unacked,
          punchesDelivered: this.counts.punchesDelivered,
          failed: this.counts.failed,
          leaseLost: this.counts.leaseLost,
          queuedRows: committer.stats.queuedRows,
          claimsHeld: this.#delivery?.held ?? 0
        },
        upstream: this.#delivery?.upstream
      })
    })
    await this.#heartbeat.start()
    // Whatever roster.unknown says, as the single box's RosterWatch: an upstream's "unknown person" waits as
    // `unmapped` too, and a roster entry mapping its badge sends it with the employee.
    this.#release = new UnmappedRelease({ store, nodeId: this.nodeId, sites: rules.rules.sites, log: log.child({ part: 'roster-release' }) })
    this.#release.start()
    const topics = new Topics(this.#cfg.topicPrefix)
    // An MQTT broker's shared subscription, or a NATS cluster's queue group (nats-link.ts): either way each
    // device batch goes to one node of the group.
    const nats = isNatsUrl(c.broker.url)
      ? new NatsLink({ ...c.broker, name: `punchline-node-${this.nodeId}`, group: c.group, topics, log, onMessage: (topic, payload) => { onMessage(topic, payload) } })
      : undefined
    const client = nats !== undefined
      ? undefined
      : mqtt.connect(c.broker.url, {
        clientId: `punchline-node-${this.nodeId}`,
        username: c.broker.username === '' ? undefined : c.broker.username,
        password: c.broker.password === '' ? undefined : c.broker.password,
        // A node holds no session: what it did not ack, the device sends again.
        clean: true,
        reconnectPeriod: 1000
      })
    this.#client = client
    this.#nats = nats
    const publish = (topic: string, payload: string | Buffer): void => {
      if (nats !== undefined) nats.publish(topic, payload); else client?.publish(topic, payload, { qos: 1 })
    }
    const ingest = new Ingest({
      topics,
      commit: committer,
      metrics: this.metrics,
      log,
      maxPayloadBytes: this.#cfg.maxPayloadBytes,
      now: Date.now,
      sendAck: (device, payload) => {
        this.counts.acked++
        publish(topics.of(device, 'acks'), payload)
      }
    })
    const clockSync = new ClockSync((device, command) => { publish(topics.of(device, 'cmd'), command) })
    const statuses = new Counter({
      name: 'punchline_cluster_statuses_total',
      help: 'Device statuses a node took, by outcome (time-sent: its clock was not synced; synced; offline; recent: the time was sent lately; unreadable)',
      labelNames: ['outcome'],
      registers: [this.metrics.registry]
    })
    const statusWriter = this.#statuses = new StatusWriter({ store, node: this.nodeId, registry: this.metrics.registry, log: log.child({ part: 'statuses' }) })
    statusWriter.start()
    const onMessage = (topic: string, payload: Buffer): void => {
      const parsed = topics.parse(topic)
      if (parsed?.channel === 'status') {
        // Decoded once for its three readers: the shared store (for the cluster's console), the clock-skew
        // rule's correction and the time command. An unreadable one is counted by clockSync's outcome.
        const decoded = decodeStatus(payload)
        if (decoded.ok) {
          statusWriter.take(parsed.device, decoded.status, Date.now())
          rules.onStatus(parsed.device, decoded.status)
        }
        statuses.inc({ outcome: clockSync.onStatus(parsed.device, decoded) })
        return
      }
      if (parsed?.channel !== 'punches') {
        // The single box's ACL closes such a connection; here the broker routed it, so it is refused by count.
        this.metrics.rejects.inc({ field: 'device' })
        return
      }
      ingest.handle(parsed.device, payload, (err) => { if (err != null) this.counts.unacked++ })
    }
    client?.on('message', onMessage)
    client?.on('connect', () => {
      log.info({ broker: c.broker.url, group: c.group }, 'connected to the cluster broker')
      client.subscribe([sharedPunchesTopic(c.group, topics), sharedStatusTopic(c.group, topics)], { qos: 1 }, (err) => {
        if (err != null) log.error({ err }, 'subscribing to the device batches failed')
        else log.info({ topics: [sharedPunchesTopic(c.group, topics), sharedStatusTopic(c.group, topics)] }, 'taking device batches')
      })
    })
    client?.on('error', (err) => { log.warn({ err }, 'cluster broker connection error') })
    // Not awaited, as the MQTT client's connect is not: a node waits for its broker without holding its start.
    nats?.start().catch((err: Error) => { log.error({ err }, 'connecting to the NATS cluster failed') })

    const up = this.#cfg.upstream
    if (up !== undefined) {
      const f = this.#cfg.forward
      this.#delivery = new DeliveryLoop({
        store,
        sink: createSink(up, { gatewayId: this.#cfg.gatewayId, log }),
        gatewayId: this.#cfg.gatewayId,
        nodeId: this.nodeId,
        batchSize: f.batchSize,
        concurrency: f.concurrency,
        backoff: { baseMs: f.backoffBaseMs, capMs: f.backoffCapMs },
        pollMs: c.pollMs,
        leaseMs: c.leaseMs,
        log,
        counts: this.counts,
        metrics: this.metrics,
        leasesLost: this.leasesLost,
        describe: (p) => rules.describe(p),
        hold: (p) => rules.hold(p),
        rosterVersion: () => rules.heldVersion()
      })
      this.#delivery.start()
    } else {
      log.warn('no upstream configured: this node stores and acks, and forwards nothing')
    }
    const http = await listenForMetrics(this.metrics.registry, this.#cfg.http.host, this.#cfg.http.port)
    this.#http = http.server
    log.info({ host: this.#cfg.http.host, port: http.port }, 'metrics listening')
    this.#statsTimer = setInterval(() => { log.info({ counts: this.counts }, 'cluster node counts') }, c.statsSeconds * 1000)
    this.#statsTimer.unref()
  }

  async stop (): Promise<void> {
    clearInterval(this.#statsTimer)
    const client = this.#client
    // No new batches, then the ones taken get their answer, then deliveries end. A broker that does not
    // answer does not hold the stop: what was not acked the devices send again.
    if (client?.connected === true) {
      const topics = new Topics(this.#cfg.topicPrefix)
      const subscribed = [sharedPunchesTopic(this.#cfg.cluster.group, topics), sharedStatusTopic(this.#cfg.cluster.group, topics)]
      await doneWithin(new Promise<void>(resolve => { client.unsubscribe(subscribed, () => resolve()) }), BROKER_STOP_TIMEOUT_MS)
    }
    await this.#nats?.unsubscribe()
    await this.#committer?.settle()
    await this.#nats?.close()
    if (client !== undefined) {
      const ended = await doneWithin(new Promise<void>(resolve => { client.end(false, {}, () => resolve()) }), BROKER_STOP_TIMEOUT_MS)
      if (!ended) client.end(true)
    }
    await this.#delivery?.stop()
    await this.#statuses?.stop()
    // After the deliveries: the last beat carries the final counts and marks the node stopped.
    await this.#heartbeat?.stop()
    this.#rules?.stop()
    await this.#release?.stop()
    await this.#store?.close()
    await new Promise<void>(resolve => { this.#http === undefined ? resolve() : this.#http.close(() => resolve()) })
    this.#log.info({ counts: this.counts }, 'cluster node stopped')
  }
}

/** how long a stop waits for the broker to confirm an unsubscribe or take the last acks */
const BROKER_STOP_TIMEOUT_MS = 5000
