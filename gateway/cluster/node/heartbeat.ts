/**
 * A node's heartbeat (gateway/cluster/node-registry.ts): its row in the shared store written every
 * `cluster.heartbeatMs` with its counts, and a last one marking it stopped on a clean shutdown. After
 * each beat the node reads the others' rows and logs a warning, once per episode, when a peer has gone
 * stale: that peer is probably dead, and the batches it held go to the survivors once their lease runs out.
 *
 * Beats never overlap (each is scheduled when the one before has ended) and a store that is down does not
 * stop the node: the failure is logged once until a beat succeeds again.
 */
import type { Logger } from '../../../shared/log.js'
import type { ClusterStore } from '../cluster-store.js'
import { STALE_BEATS, type NodeBeat } from '../node-registry.js'

export interface HeartbeatOptions {
  store: Pick<ClusterStore, 'beat' | 'listNodes'>
  /** this node's row as it is now (counts read at each beat) */
  snapshot: () => Omit<NodeBeat, 'intervalMs' | 'stopping'>
  intervalMs: number
  leaseMs: number
  log: Logger
}

export class Heartbeat {
  readonly #o: HeartbeatOptions
  #timer?: NodeJS.Timeout
  #current: Promise<void> = Promise.resolve()
  #stopped = false
  #failing = false
  /** peers reported stale, until they beat again */
  readonly #stale = new Set<string>()

  constructor (o: HeartbeatOptions) {
    this.#o = o
  }

  /** The first beat, then one every interval. */
  async start (): Promise<void> {
    await this.#run()
  }

  async #run (): Promise<void> {
    this.#current = this.#tick()
    await this.#current
    if (this.#stopped) return
    this.#timer = setTimeout(() => { void this.#run() }, this.#o.intervalMs)
    this.#timer.unref()
  }

  async #tick (): Promise<void> {
    const o = this.#o
    try {
      await o.store.beat({ ...o.snapshot(), intervalMs: o.intervalMs })
      if (this.#failing) o.log.info('heartbeat written again')
      this.#failing = false
    } catch (err) {
      if (!this.#failing) o.log.warn({ err }, 'writing the heartbeat failed; trying again every interval (peers will show this node stale)')
      this.#failing = true
      return
    }
    await this.#watchPeers().catch((err: Error) => { o.log.warn({ err }, 'reading the peers\' heartbeats failed') })
  }

  async #watchPeers (): Promise<void> {
    const self = this.#o.snapshot().nodeId
    for (const n of await this.#o.store.listNodes()) {
      if (n.nodeId === self) continue
      if (n.state !== 'stale') {
        this.#stale.delete(n.nodeId)
        continue
      }
      if (this.#stale.has(n.nodeId)) continue
      this.#stale.add(n.nodeId)
      this.#o.log.warn({ peer: n.nodeId, host: n.host, pid: n.pid, lastSeen: new Date(n.lastSeen).toISOString(), silentMs: n.silentMs, leaseMs: this.#o.leaseMs },
        `peer node stale: no heartbeat for ${STALE_BEATS} of its intervals; it is probably dead, and the batches it held go to the survivors after cluster.leaseMs`)
    }
  }

  /** No more beats; the last one marks this node stopped. */
  async stop (): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#current
    const o = this.#o
    await o.store.beat({ ...o.snapshot(), intervalMs: o.intervalMs, stopping: true })
      .catch((err: Error) => { o.log.warn({ err }, 'marking this node stopped failed; peers will show it stale') })
  }
}
