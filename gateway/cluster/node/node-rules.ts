/**
 * The rules on a cluster node (docs/DESIGN-NOTES.md, "Rules on cluster nodes"): the single box's rules and
 * settings (`rules`, `sites` of the config), the roster copied from the shared store (roster-copy.ts), the
 * devices' clock corrections written to the shared store from the statuses this node takes. The history
 * the rules read and the clock corrections are read by the store inside each group commit
 * (gateway/cluster/postgres/group-flagger.ts).
 */
import { decodeStatus, type DeviceStatus } from '../../../shared/codec/status.js'
import type { Logger } from '../../../shared/log.js'
import type { GatewayConfig } from '../../config.js'
import type { PunchDescription } from '../../forward/forwarder.js'
import type { StoredPunch } from '../../store/punch-store.js'
import { Roster, type BadgeLookup } from '../../rules/roster.js'
import { SiteMap } from '../../rules/sites.js'
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
  #roster: Roster | undefined
  #timer: NodeJS.Timeout | undefined
  #shared: SharedRules | undefined

  constructor (cfg: GatewayConfig, log: Logger) {
    this.#log = log
    if (cfg.roster.unknown === 'hold') {
      log.warn('roster.unknown "hold" is not in cluster mode yet: nodes forward unknown badges flagged unknown-badge (docs/OPERATIONS.md, "Topologies")')
    }
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

  /** A status this node took: its clock correction goes to the shared store for every node's clock-skew rule. */
  onStatus (device: string, payload: Buffer): void {
    const decoded = decodeStatus(payload)
    if (!decoded.ok || this.#shared === undefined) return
    this.#shared.recordClock(device, decoded.status).catch((err: Error) => {
      this.#log.warn({ err: err.message, device }, 'recording a device clock correction failed')
    })
  }

  stop (): void {
    clearInterval(this.#timer)
  }
}
