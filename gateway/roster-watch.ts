/**
 * The roster between ingest and the upstream: what goes out with a punch (the employee the roster maps
 * its badge to, its site), which punches wait for a mapping (`roster.unknown` = 'hold'), and releasing them
 * once the roster, edited from the CLI in another process, maps them.
 */
import type { Logger } from '../shared/log.js'
import type { PunchDescription } from './forward/forwarder.js'
import type { ForwardStore } from './store/forward-store.js'
import type { StoredPunch } from './store/punch-store.js'
import type { Roster } from './rules/roster.js'
import type { SiteMap } from './rules/sites.js'

export interface RosterWatchOptions {
  roster: Roster
  sites: SiteMap
  store: ForwardStore
  unknown: 'forward' | 'hold'
  log: Logger
  now: () => number
  /** released punches are new outbox batches: tell the forwarder */
  released: () => void
  /** how often the roster's version is looked at */
  checkEveryMs?: number
}

/** why a punch waits in dead letters for a roster entry (the single box's and the cluster nodes' words) */
export function holdReason (p: Pick<StoredPunch, 'emp' | 'device'>): string {
  return `unknown-badge: no roster entry maps '${p.emp}' on ${p.device}; held until one does (roster.unknown = hold)`
}

/** Most parked punches looked at per release; the rest are released at the next roster change or replay. */
const RELEASE_SCAN = 100_000

export class RosterWatch {
  readonly #o: RosterWatchOptions
  #timer?: NodeJS.Timeout

  constructor (o: RosterWatchOptions) {
    this.#o = o
  }

  /** What the forwarder sends with a punch, or why it must wait (asked at send time, so late entries apply). */
  describe (p: StoredPunch): PunchDescription {
    const site = this.#o.sites.of(p.device).site
    const badge = this.#o.roster.lookup(p.device, site, p.emp)
    const d: PunchDescription = { site, employee: badge.employee }
    if (this.#o.unknown === 'hold' && badge.configured && badge.employee === undefined) {
      d.hold = holdReason(p)
    }
    return d
  }

  start (): void {
    const roster = this.#o.roster
    roster.onChange(() => this.release())
    this.#timer = setInterval(() => {
      try { roster.refresh() } catch (err) { this.#o.log.error({ err }, 'roster reload failed; keeping the previous roster') }
    }, this.#o.checkEveryMs ?? 1000)
    this.#timer.unref()
    this.release()
  }

  stop (): void {
    clearInterval(this.#timer)
  }

  /** Sends again the parked punches the roster now maps. Returns how many. */
  release (): number {
    const { store, roster, sites } = this.#o
    const ids: number[] = []
    for (const u of store.unmapped(RELEASE_SCAN)) {
      if (roster.lookup(u.device, sites.of(u.device).site, u.emp).employee !== undefined) ids.push(u.rowId)
    }
    if (ids.length === 0) return 0
    const n = store.replayDeadLetters(ids, this.#o.now())
    this.#o.log.info({ punches: n }, 'roster now maps punches that were waiting for a mapping; sending them')
    this.#o.released()
    return n
  }
}
