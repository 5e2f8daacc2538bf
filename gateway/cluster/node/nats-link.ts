/**
 * A cluster node's way to the devices when the broker is NATS (`cluster.broker.url: nats://...`,
 * docs/OPERATIONS.md "Topologies"). NATS 2.9 speaks MQTT 3.1.1 to the devices but has no shared
 * subscriptions: `$share/<group>/...` is granted and then matches nothing (docs/DESIGN-NOTES.md, "Cluster
 * mode on NATS"). The node therefore speaks NATS itself: each device topic is a NATS subject (`/` becomes
 * `.`), and a queue group subscription hands each batch to one node of the group, as `$share` does on an
 * MQTT broker.
 *
 * Acks and time commands go out as plain NATS publishes; NATS hands them to a device's MQTT subscription at
 * QoS 0. The devices connect with clean sessions, so a QoS 1 ack would not outlive the connection either:
 * an ack lost with a connection is a batch the device sends again and a node acks again (the store dedups).
 * The promise is unchanged: an ack only after PostgreSQL committed; until then the device's ring keeps it.
 */
import { connect, type NatsConnection, type Subscription } from 'nats'
import type { Logger } from '../../../shared/log.js'
import type { Topics } from '../../../shared/topics.js'
import { doneWithin } from '../deadline.js'

/** whether `cluster.broker.url` names a NATS cluster rather than an MQTT broker */
export function isNatsUrl (url: string): boolean {
  return /^(nats|tls):\/\//.test(url)
}

/**
 * A topic prefix NATS 2.9 maps to a subject and back unchanged: no `.` (a subject's separator), no empty
 * level, no space and none of NATS's wildcards. Undefined when fine, else the problem.
 */
export function natsPrefixProblem (prefix: string): string | undefined {
  if (/[.\s*>]/.test(prefix) || prefix.split('/').includes('')) {
    return `topicPrefix: with a nats:// broker must have no '.', space, '*', '>' or empty level (got '${prefix}'): NATS 2.9 maps MQTT's '/' to '.'`
  }
  return undefined
}

/** `att/v1/D1/acks` → `att.v1.D1.acks` (device ids and channels hold no '.', natsPrefixProblem the prefix) */
export function topicToSubject (topic: string): string {
  return topic.replaceAll('/', '.')
}

export function subjectToTopic (subject: string): string {
  return subject.replaceAll('.', '/')
}

export interface NatsLinkOptions {
  /** `cluster.broker.url`: one or more nats:// URLs, comma-separated; the client learns the rest of the cluster */
  url: string
  username: string
  password: string
  name: string
  /** the queue group: `cluster.group` */
  group: string
  topics: Topics
  log: Logger
  /** a device message, its subject turned back into the MQTT topic the device used */
  onMessage: (topic: string, payload: Buffer) => void
}

/** how long stopping waits for the cluster to confirm the unsubscribes, and to take the last acks */
const STOP_TIMEOUT_MS = 5000

export class NatsLink {
  readonly #o: NatsLinkOptions
  #nc?: NatsConnection
  #subs: Subscription[] = []
  #stopped = false

  constructor (o: NatsLinkOptions) {
    const problem = natsPrefixProblem(o.topics.prefix)
    if (problem !== undefined) throw new Error(problem)
    this.#o = o
  }

  /** the device channels this node takes, each through the group: batches, and statuses for the time command */
  get subjects (): string[] {
    const head = topicToSubject(this.#o.topics.prefix)
    return [`${head}.*.punches`, `${head}.*.status`]
  }

  /** Connects, retrying until a server of the cluster answers; then takes the device channels. */
  async start (): Promise<void> {
    const o = this.#o
    const nc = this.#nc = await connect({
      servers: o.url.split(','),
      name: o.name,
      user: o.username === '' ? undefined : o.username,
      pass: o.password === '' ? undefined : o.password,
      // A node that starts before the broker waits for it, as the MQTT client does; once up it follows the
      // cluster (servers it learns from the one it reached) for ever.
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000
    })
    o.log.info({ broker: nc.getServer(), group: o.group }, 'connected to the cluster broker')
    void this.#watch(nc)
    for (const subject of this.subjects) {
      this.#subs.push(nc.subscribe(subject, {
        queue: o.group,
        callback: (err, msg) => {
          if (err != null) { o.log.warn({ err }, 'cluster broker subscription error'); return }
          o.onMessage(subjectToTopic(msg.subject), Buffer.from(msg.data))
        }
      }))
    }
    await nc.flush()
    o.log.info({ subjects: this.subjects, group: o.group }, 'taking device batches')
  }

  /** An ack or a command to a device; dropped while no server is reachable (the device resends the batch). */
  publish (topic: string, payload: string | Buffer): void {
    const nc = this.#nc
    if (nc === undefined || nc.isClosed()) return
    nc.publish(topicToSubject(topic), payload)
  }

  /** Stops taking batches; what was taken may still be answered until close(). */
  async unsubscribe (): Promise<void> {
    const nc = this.#nc
    if (nc === undefined || nc.isClosed()) return
    for (const s of this.#subs) s.unsubscribe()
    this.#subs = []
    await doneWithin(nc.flush(), STOP_TIMEOUT_MS)
  }

  /** Sends what is pending (the last acks) and closes. */
  async close (): Promise<void> {
    this.#stopped = true
    const nc = this.#nc
    if (nc === undefined || nc.isClosed()) return
    if (!await doneWithin(nc.drain(), STOP_TIMEOUT_MS)) await nc.close()
  }

  async #watch (nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (this.#stopped) return
      if (s.type === 'disconnect' || s.type === 'error') this.#o.log.warn({ status: s.type, data: String(s.data) }, 'cluster broker connection')
      else if (s.type === 'reconnect') this.#o.log.info({ broker: String(s.data) }, 'reconnected to the cluster broker')
    }
  }
}
