/**
 * The cluster's side of the single box's RosterWatch.release: when the shared roster's version moves, the
 * punches waiting for a mapping (`unmapped`: held by `roster.unknown` = 'hold', or an upstream that did
 * not know the person) that it now maps are replayed, so they go out by themselves with their employee. One node does it, the releaser: the live node first by id in the
 * heartbeat registry, so the work is not done once per node; a node that becomes the releaser (the last
 * one stopped or went stale) looks at once. Two nodes that both think they are the releaser for a moment
 * cannot replay a row twice: the store takes an advisory lock and replays a row only while it is not
 * (gateway/cluster/postgres/unmapped-release.ts). docs/DESIGN-NOTES.md, "Held badges on cluster nodes".
 */
import type { Logger } from '../../../shared/log.js'
import type { SiteMap } from '../../rules/sites.js'
import type { NodeRecord } from '../node-registry.js'
import { pickMapped, type PickMapped } from '../unmapped-letters.js'
import { ROSTER_CHECK_MS } from './roster-copy.js'

export interface ReleaseStore {
  rosterVersion: () => Promise<number>
  listNodes: () => Promise<NodeRecord[]>
  releaseMapped: (pick: PickMapped) => Promise<{ version: number, released: number } | undefined>
}

export interface UnmappedReleaseOptions {
  store: ReleaseStore
  nodeId: string
  sites: SiteMap
  log: Logger
  checkEveryMs?: number
}

export class UnmappedRelease {
  readonly #o: UnmappedReleaseOptions
  readonly #pick: PickMapped
  /** the roster version this node last released for; -1 when it must look (it is not, or just became, the releaser) */
  #handled = -1
  #timer?: NodeJS.Timeout
  #running?: Promise<void>

  constructor (o: UnmappedReleaseOptions) {
    this.#o = o
    this.#pick = pickMapped(o.sites)
  }

  start (): void {
    this.#timer = setInterval(() => {
      if (this.#running !== undefined) return
      this.#running = this.check().then(() => {}, (err: Error) => {
        this.#o.log.warn({ err: err.message }, 'releasing punches the roster now maps failed; trying again')
      }).finally(() => { this.#running = undefined })
    }, this.#o.checkEveryMs ?? ROSTER_CHECK_MS)
    this.#timer.unref()
  }

  async stop (): Promise<void> {
    clearInterval(this.#timer)
    await this.#running
  }

  /** One look: replays what the roster maps when this node is the releaser and the version moved. How many. */
  async check (): Promise<number> {
    const o = this.#o
    if (!await this.#isReleaser()) {
      this.#handled = -1
      return 0
    }
    if (await o.store.rosterVersion() === this.#handled) return 0
    const r = await o.store.releaseMapped(this.#pick)
    // Another node holds the lock: this one asks again at its next check.
    if (r === undefined) return 0
    this.#handled = r.version
    if (r.released > 0) {
      o.log.info({ punches: r.released, rosterVersion: r.version }, 'roster now maps punches that were waiting for a mapping; sending them')
    }
    return r.released
  }

  async #isReleaser (): Promise<boolean> {
    const alive = (await this.#o.store.listNodes()).filter(n => n.state === 'alive').map(n => n.nodeId)
    alive.push(this.#o.nodeId)
    alive.sort()
    return alive[0] === this.#o.nodeId
  }
}
