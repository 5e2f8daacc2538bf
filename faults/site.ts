/**
 * What every fault run stands on: a temp directory, a real HTTP upstream (fakes/upstream/webhook-upstream.ts) that
 * counts each punch id and each Idempotency-Key it accepts, and the real gateway process on that
 * upstream, started again on the same data directory and ports after a kill. `close()` ends all of it,
 * whatever state the fault left it in.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { WebhookUpstream, type Responder } from '../fakes/upstream/webhook-upstream.js'
import type { UpstreamView } from '../sim/engine/fate-reconcile.js'
import { startGatewayProcess, writeGatewayConfig, type GatewayProcess } from './gateway-process.js'

type Settings = Record<string, Record<string, unknown>>

/**
 * Fast retries so a fault run takes seconds (backoff 100 ms … 1 s), no scheduled backups, and no free-disk
 * floor (the default 256 MiB floor would stop a gateway on a nearly full shared disk; the disk-full fault
 * sets its own).
 */
const BASE: Settings = {
  forward: { lingerMs: 20, backoffBaseMs: 100, backoffCapMs: 1000 },
  backup: { intervalHours: 0 },
  storage: { minFreeBytes: 0 }
}

export class FaultSite {
  /** sites not closed yet, so that an interrupted suite can end their gateways (main.ts) */
  static readonly open = new Set<FaultSite>()
  readonly dir: string
  /** the gateway's data directory; set it before start() to put it elsewhere (a small disk) */
  dataDir: string
  readonly sink = new WebhookUpstream()
  readonly settings: Settings
  gateway?: GatewayProcess
  /** node options for the gateway child (gcPressureArgs()); set before start() */
  nodeArgs: string[] = []
  /** run once the gateway is dead, before the directory goes (unmount a small disk) */
  readonly cleanups: Array<() => void> = []
  #ports: { mqttPort?: number, httpPort?: number } = {}
  /** punch id → `received` of the last copy answered 2xx */
  readonly #lastReceived = new Map<string, string>()
  /**
   * punch id → copies answered 2xx whose `received` (when the gateway stored the punch) differs from the
   * copy before: the gateway stored the punch a second time (retention had deleted it, or its database was lost)
   */
  readonly storedAgain = new Map<string, number>()
  /** restarts that found one of the gateway's ports taken, and were tried again */
  portsTaken = 0

  /** `settings` are merged over BASE section by section. */
  constructor (name: string, settings: Settings = {}) {
    this.dir = mkdtempSync(join(tmpdir(), `punchline-fault-${name}-`))
    this.dataDir = join(this.dir, 'data')
    const merged: Settings = { ...BASE }
    for (const [k, v] of Object.entries(settings)) merged[k] = { ...BASE[k], ...v }
    this.settings = merged
    FaultSite.open.add(this)
    this.respond(() => ({ status: 200 }))
  }

  /** Sets the upstream's answers (fakes/upstream/webhook-upstream.ts), counting the copies stored again on the way. */
  respond (responder: Responder): void {
    this.sink.respond(req => {
      const answer = responder(req)
      // The copies the upstream takes, as its ledger counts them: a request reset or held unread was never taken.
      if (answer.status >= 200 && answer.status < 300 && answer.reset !== true && answer.hang !== 'request') {
        for (const p of req.body?.punches ?? []) {
          const before = this.#lastReceived.get(p.id)
          if (before !== undefined && before !== p.received) this.storedAgain.set(p.id, (this.storedAgain.get(p.id) ?? 0) + 1)
          this.#lastReceived.set(p.id, p.received)
        }
      }
      return answer
    })
  }

  /** What the upstream took, for the reconciliation (faults/judge.ts). */
  upstreamView (): UpstreamView {
    return { counts: this.sink.received, retried: this.sink.retried, storedAgain: this.storedAgain, punches: this.sink.punches }
  }

  async start (): Promise<GatewayProcess> {
    await this.sink.start()
    return await this.startGateway()
  }

  /** Starts the gateway; after the first start, on the ports the first one bound. */
  async startGateway (): Promise<GatewayProcess> {
    // A file's upstream section needs a URL; the flag gives the sink's.
    const settings = this.settings.upstream === undefined ? this.settings : { ...this.settings, upstream: { ...this.settings.upstream, url: this.sink.url } }
    const config = writeGatewayConfig(this.dir, settings)
    for (let attempt = 1; ; attempt++) {
      try {
        const gw = this.gateway = await startGatewayProcess({ dataDir: this.dataDir, upstream: this.sink.url, allowAnonymous: true, args: ['--config', config], nodeArgs: this.nodeArgs, ...this.#ports })
        this.#ports = { mqttPort: gw.mqttPort, httpPort: gw.httpPort }
        return gw
      } catch (err) {
        // The ports came from the ephemeral range, so while the gateway was down one of them may have become
        // the local port of some outgoing connection: a supervisor starts it again a moment later, so do we.
        if (this.#ports.mqttPort === undefined || attempt === 20 || !String(err).includes('EADDRINUSE')) throw err
        this.portsTaken++
        await sleep(500)
      }
    }
  }

  get mqttUrl (): string {
    if (this.gateway === undefined) throw new Error('gateway not started')
    return this.gateway.mqttUrl
  }

  /** The punch ids parked in dead letters and not replayed, read from the database (the gateway may run: WAL lets a reader in). */
  deadLetters (): string[] {
    const db = new Database(join(this.dataDir, 'punchline.db'), { readonly: true })
    try {
      return (db.prepare(`SELECT p.device || ':' || p.epoch || ':' || p.seq AS id FROM dead_letters d JOIN punches p ON p.id = d.punch_id
        WHERE d.replayed IS NULL ORDER BY d.punch_id`).all() as Array<{ id: string }>).map(r => r.id)
    } finally { db.close() }
  }

  async close (): Promise<void> {
    this.gateway?.kill('SIGKILL')
    await this.gateway?.exited
    this.abort()
    await this.sink.close()
    rmSync(this.dir, { recursive: true, force: true })
  }

  /** Ends what must not outlive this process, at once: the gateway, then the cleanups. */
  abort (): void {
    this.gateway?.kill('SIGKILL')
    for (const c of this.cleanups.splice(0)) c()
    FaultSite.open.delete(this)
  }
}
