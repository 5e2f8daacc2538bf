/**
 * The simulated site's infrastructure, in this process: the gateway (embedded, on the virtual clock), the
 * upstream (a real HTTP server speaking the webhook contract, which faults can take down or make refuse a
 * record), and one network link per site between its devices and the gateway.
 */
import { join } from 'node:path'
import type { Logger } from '../../shared/log.js'
import { defaultConfig, upstreamFor, type GatewayConfig } from '../../gateway/config.js'
import { Gateway } from '../../gateway/gateway.js'
import { DEFAULT_RULES } from '../../gateway/rules/rules.js'
import { ForwardStore } from '../../gateway/store/forward-store.js'
import { LinkProxy, type SiteLink } from '../../fakes/link/netem.js'
import { MemoryLink } from '../../fakes/link/memory-link.js'
import { connectLiteOver } from '../fleet/lite-client.js'
import type { UplinkConnect } from '../../device/uplink-client.js'
import { WebhookUpstream } from '../../fakes/upstream/webhook-upstream.js'
import type { Scenario } from '../scenario/types.js'
import { scenarioDevices } from '../scenario/devices.js'
import type { Holdings, UpstreamView } from './fate-reconcile.js'

export interface WorldOptions {
  scenario: Scenario
  dir: string
  now: () => number
  log: Logger
  /** device id prefixes per site, for the gateway's site map */
  prefixes: Map<string, string[]>
  /**
   * remote mode: the devices reach this broker (a site's real gateway) through the site links, and
   * nothing is embedded; only what the gateway acknowledges can be reconciled
   */
  remote?: { host: string, port: number }
  /**
   * 'memory': the site links are in-process streams into the embedded gateway's broker (memory-link.ts),
   * for fleets too large for a TCP connection per device; 'tcp' (default): real sockets through a proxy.
   */
  transport?: 'tcp' | 'memory'
}

export class World {
  readonly sink = new WebhookUpstream()
  readonly links = new Map<string, SiteLink>()
  readonly #o: WorldOptions
  readonly #cfg: GatewayConfig
  #gateway?: Gateway
  #forward?: ForwardStore
  /** the upstream answers this status to everything while set (an upstream outage) */
  upstreamDownStatus: number | undefined
  /** punch ids the upstream refuses for good (422) */
  readonly poison = new Set<string>()
  readonly #arrivedAt = new Map<string, number>()
  readonly #flags = new Map<string, readonly string[]>()

  constructor (o: WorldOptions) {
    this.#o = o
    const s = o.scenario
    const cfg = this.#cfg = defaultConfig()
    cfg.gatewayId = 'sim-gateway'
    cfg.dataDir = join(o.dir, 'gateway')
    cfg.mqtt = { ...cfg.mqtt, host: '127.0.0.1', port: 0 }
    cfg.http = { ...cfg.http, host: '127.0.0.1', port: 0 }
    cfg.allowAnonymous = true
    cfg.rules = { ...DEFAULT_RULES, ...s.gateway.rules }
    cfg.retention = { ...cfg.retention, deliveredDays: s.gateway.retentionDays }
    // Backoff and linger are real time under a virtual clock: keep them short so a retry does not stall a step.
    // No linger: it compares virtual times, which stand still within a step, so a batch would wait a whole step.
    cfg.forward = { ...cfg.forward, lingerMs: 0, backoffBaseMs: 50, backoffCapMs: 500 }
    cfg.backup = { ...cfg.backup, intervalHours: 0 }
    cfg.sites = {}
    for (const site of s.sites) {
      cfg.sites[site.id] = {
        devices: (o.prefixes.get(site.id) ?? []).map(p => p + '*'),
        geofences: site.location === undefined ? [] : [site.location]
      }
    }
  }

  get gateway (): Gateway | undefined { return this.#gateway }
  get remote (): boolean { return this.#o.remote !== undefined }
  get gatewayUp (): boolean { return this.#gateway !== undefined }

  async start (): Promise<void> {
    const remote = this.#o.remote
    if (remote !== undefined) {
      for (const site of this.#o.scenario.sites) {
        const link = new LinkProxy(remote)
        await link.listen()
        this.links.set(site.id, link)
      }
      return
    }
    const url = await this.sink.start()
    // Real time. The upstream answers at once, but one thread also runs the whole fleet: during a
    // 10,000-device reconnect an answer can wait seconds for its turn, and a timeout re-sends the batch.
    this.#cfg.upstream = { ...upstreamFor(url), timeoutMs: 5000 + scenarioDevices(this.#o.scenario).length }
    this.sink.respond((req) => {
      if (this.upstreamDownStatus !== undefined) return { status: this.upstreamDownStatus, headers: { 'Retry-After': '0' } }
      const punches = req.body?.punches ?? []
      const bad = punches.find(p => this.poison.has(p.id))
      if (bad !== undefined) return { status: 422, body: JSON.stringify({ error: `emp: record ${bad.id} refused by the payroll system` }) }
      const at = this.#o.now()
      for (const p of punches) {
        if (!this.#arrivedAt.has(p.id)) this.#arrivedAt.set(p.id, at)
        this.#flags.set(p.id, p.flags)
      }
      return { status: 200 }
    })
    await this.startGateway()
    for (const site of this.#o.scenario.sites) {
      if (this.#o.transport === 'memory') {
        this.links.set(site.id, new MemoryLink(() => {
          const gw = this.#gateway
          return gw === undefined ? undefined : (socket) => gw.acceptConnection(socket)
        }))
        continue
      }
      const link = new LinkProxy({ host: '127.0.0.1', port: this.#cfg.mqtt.port })
      await link.listen()
      this.links.set(site.id, link)
    }
  }

  /** The URL a site's devices use, and how they connect when the link is in-process. */
  deviceLink (site: string): { url: string, connect?: UplinkConnect } {
    const link = this.links.get(site)
    if (link instanceof MemoryLink) return { url: `mqtt://memory-link/${site}`, connect: connectLiteOver(() => link.open()) }
    if (link instanceof LinkProxy) return { url: `mqtt://127.0.0.1:${link.port}` }
    throw new Error(`no link for site '${site}'`)
  }

  /** Starts (or restarts, on the same ports and data) the embedded gateway. */
  async startGateway (): Promise<void> {
    const gw = new Gateway(this.#cfg, { log: this.#o.log.child({ part: 'gateway' }), now: this.#o.now })
    const a = await gw.start()
    // Restarts keep the ports: the site links point at them.
    this.#cfg.mqtt = { ...this.#cfg.mqtt, port: a.mqttPort }
    this.#cfg.http = { ...this.#cfg.http, port: a.httpPort }
    this.#gateway = gw
    this.#forward = new ForwardStore(gw.db)
  }

  /** Stops the embedded gateway: cleanly, or as a crash (Gateway.abort: nothing queued committed or acked). */
  async stopGateway (crash = false): Promise<void> {
    const gw = this.#gateway
    this.#gateway = undefined
    this.#forward = undefined
    if (crash) await gw?.abort()
    else await gw?.stop()
  }

  /**
   * Is anything stored at the gateway and not yet delivered? Two index probes in one snapshot
   * (ForwardStore.oldestPendingReceived): read apart, a batch formed between them hid a pending punch, and
   * the engine moved virtual time on before it was delivered (docs/DESIGN-NOTES.md, "The simulator's settle").
   */
  gatewayBacklog (): boolean {
    return this.#forward?.oldestPendingReceived() != null
  }

  upstreamView (): UpstreamView {
    return { counts: this.sink.received, flags: this.#flags, arrivedAt: this.#arrivedAt, retried: this.sink.retried, punches: this.sink.punches }
  }

  /** What the gateway still holds: undelivered and dead-lettered punch ids. Call before stop. */
  gatewayHolds (): Pick<Holdings, 'atGateway' | 'deadLettered'> {
    const db = this.#gateway?.db
    if (db === undefined) return { atGateway: new Set(), deadLettered: new Set() }
    const ids = (sql: string, ...args: unknown[]): Set<string> =>
      new Set((db.prepare(sql).all(...args) as Array<{ id: string }>).map(r => r.id))
    const cursor = this.#forward!.cursor()
    const ID = "p.device || ':' || p.epoch || ':' || p.seq AS id"
    const pending = ids(`SELECT ${ID} FROM punches p WHERE p.id > ?`, cursor)
    for (const id of ids(`SELECT ${ID} FROM forward_batches b JOIN punches p ON p.id BETWEEN b.first_id AND b.last_id`)) pending.add(id)
    const deadLettered = ids(`SELECT ${ID} FROM dead_letters d JOIN punches p ON p.id = d.punch_id WHERE d.replayed IS NULL`)
    for (const id of deadLettered) pending.delete(id)
    return { atGateway: pending, deadLettered }
  }

  async close (): Promise<void> {
    for (const link of this.links.values()) await link.close()
    await this.stopGateway()
    if (!this.remote) await this.sink.close()
  }
}
