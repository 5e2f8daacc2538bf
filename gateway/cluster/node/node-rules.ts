/**
 * The rules on a cluster node (docs/DESIGN-NOTES.md, "Rules on cluster nodes"): the single box's rules and
 * settings (`rules`, `sites` of the config), the roster copied from the shared store (roster-copy.ts), the
 * devices' clock corrections written to the shared store from the statuses this node takes. The history
 * the rules read and the clock corrections are read by the store inside each group commit
 * (gateway/cluster/postgres/group-flagger.ts).
 */
import type { DeviceStatus } from '../../../shared/codec/status.js'
import type { Logger } from '../../../shared/log.js'
import type { GatewayConfig } from '../../config.js'
import type { PunchDescription } from '../../forward/forwarder.js'
import type { StoredPunch } from '../../store/punch-store.js'
import { Roster, type BadgeLookup } from '../../rules/roster.js'
import { SiteMap } from '../../rules/sites.js'
import { holdReason } from '../../roster-watch.js'
import type { ClusterRules } from '../cluster-rules.js'
import { ROSTER_CHECK_MS, RosterCopy, type SharedRoster } from './roster-copy.js'

const UNCONFIGURED: BadgeLookup = { configured: false }

export interface SharedRules extends SharedRoster {
  recordClock: (device: string, status: DeviceStatus) => Promise<boolean>
}

export class NodeRules {
  readonly rules: ClusterRules
  readonly #copy = new RosterCopy()
  readonly #log: Logger
  readonly #holding: boolean
  #roster: Roster | undefined
  #timer: NodeJS.Timeout | undefined
  #shared: SharedRules | undefined

  constructor (cfg: GatewayConfig, log: Logger) {
    this.#log = log
    this.#holding = cfg.roster.unknown === 'hold'
    this.rules = {
      config: cfg.rules,
      sites: new SiteMap(cfg.sites),
      badge: (device, site, emp) => this.#roster?.lookup(device, site, emp) ?? UNCONFIGURED
    }
  }

  /** Loads the roster before the node takes its first batch, then follows its changes. */
  async start (shared: SharedRules): Promise<void> {
    this.#shared = shared
    await this.#copy.refresh(shared)
    this.#roster = new Roster(this.#copy)
    this.#timer = setInterval(() => {
      this.#copy.refresh(shared).catch((err: Error) => { this.#log.warn({ err: err.message }, 'reading the shared roster failed; keeping the copy') })
    }, ROSTER_CHECK_MS)
    this.#timer.unref()
  }

  /** A punch as the upstream is told of it: its site and the roster's employee, as the single box's forwarder says. */
  describe (p: StoredPunch): PunchDescription {
    const site = this.rules.sites.of(p.device).site
    return { site, employee: this.rules.badge(p.device, site, p.emp).employee }
  }

  /**
   * Why a punch must wait for a roster entry instead of going out (`roster.unknown` = 'hold'): its badge
   * maps to no one on a device the roster covers, asked at send time as the single box's RosterWatch asks
   * it. Undefined when it goes out.
   */
  hold (p: StoredPunch): string | undefined {
    if (!this.#holding) return undefined
    const badge = this.rules.badge(p.device, this.rules.sites.of(p.device).site, p.emp)
    return badge.configured && badge.employee === undefined ? holdReason(p) : undefined
  }

  /** The roster version hold() judges by now (the node's copy, loaded into its Roster). */
  heldVersion (): number {
    this.#roster?.refresh(true)
    return this.#copy.version()
  }

  /** A status this node took: its clock correction goes to the shared store for every node's clock-skew rule. */
  onStatus (device: string, status: DeviceStatus): void {
    if (this.#shared === undefined) return
    this.#shared.recordClock(device, status).catch((err: Error) => {
      this.#log.warn({ err: err.message, device }, 'recording a device clock correction failed')
    })
  }

  stop (): void {
    clearInterval(this.#timer)
  }
}
