/**
 * Kills the gateway process with SIGKILL at seeded random moments and starts it again on the same data
 * directory and ports, as a supervisor would after a kernel OOM kill or a power cut of the gateway alone.
 * Before each kill it takes a sample (what the caller wants to compare across kills); after each restart,
 * once the gateway is at work again, the next kill waits a random time from `upMs`.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { RandomStream } from '../sim/workload/random.js'
import type { GatewayProcess } from './gateway-process.js'

export interface KillerOptions<S> {
  /** the gateway running now */
  gateway: GatewayProcess
  /** starts it again (same data directory, same ports) */
  restart: () => Promise<GatewayProcess>
  kills: number
  random: RandomStream
  /** how long the gateway runs before a kill, ms: [least, most] */
  upMs: [number, number]
  /** how long it stays down before the restart, ms: [least, most] */
  downMs: [number, number]
  /** taken just before each kill */
  sample: () => S
  /**
   * resolves once the gateway is at work again (devices acknowledged anew), so that each kill lands in
   * the middle of ingest however slowly a loaded machine brings the gateway and its devices back; the up
   * time is counted from then
   */
  working: () => Promise<void>
}

export interface Kill<S> {
  /** 1-based */
  n: number
  /** how long the gateway had been up */
  upMs: number
  before: S
  /** the gateway had already exited by itself when its kill was due: a crash of its own, not ours */
  crashed?: { code: number | null, signal: NodeJS.Signals | null, log: string }
}

export class GatewayKiller<S> {
  gateway: GatewayProcess
  readonly kills: Array<Kill<S>> = []
  readonly #o: KillerOptions<S>

  constructor (o: KillerOptions<S>) {
    this.#o = o
    this.gateway = o.gateway
  }

  async killAndRestart (): Promise<Array<Kill<S>>> {
    const o = this.#o
    for (let n = 1; n <= o.kills; n++) {
      const upMs = Math.round(o.random.between(o.upMs[0], o.upMs[1]))
      await o.working()
      await sleep(upMs)
      const kill: Kill<S> = { n, upMs, before: o.sample() }
      const gw = this.gateway
      if (!gw.alive) {
        const exit = await gw.exited
        kill.crashed = { ...exit, log: JSON.stringify(gw.logs.filter(l => l.level >= 50).slice(-3)) }
      }
      gw.kill('SIGKILL')
      await gw.exited
      this.kills.push(kill)
      await sleep(Math.round(o.random.between(o.downMs[0], o.downMs[1])))
      this.gateway = await o.restart()
    }
    return this.kills
  }
}
