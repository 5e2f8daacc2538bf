/**
 * A fleet of light devices in the bench process, for the large-fleet benches (fleet-scale.ts, drain.ts):
 * each device a memory ring and the device's real Uplink over the lite MQTT client (sim/fleet/), started
 * staggered by sim/fleet/fleet.ts, with what the fleet went through counted: connects, connection errors,
 * acked punches, drained rings.
 *
 * Each connection is a file descriptor here and another in the gateway: both processes need about N + 100
 * (`fileLimitProblem`).
 */
import { readFileSync } from 'node:fs'
import { pino } from 'pino'
import type { PunchInput } from '../shared/punch.js'
import type { Ring } from '../device/ring/index.js'
import { Uplink, type UplinkOptions } from '../device/uplink.js'
import type { UplinkConnect } from '../device/uplink-client.js'
import { LiteClient, startStaggered, type StaggeredStart } from '../sim/fleet/fleet.js'

/** Soft limit on open files this process (and the children it spawns, which inherit it) runs under. */
export function openFileLimit (): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find(l => l.startsWith('Max open files'))
  const soft = line?.split(/\s+/)[3]
  return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft)
}

/** Why `devices` connections cannot be held here (and in the gateway), or undefined when they can. */
export function fileLimitProblem (devices: number): string | undefined {
  const need = devices + 200
  const limit = openFileLimit()
  if (limit >= need) return undefined
  return `the open files limit is ${limit}; ${devices} devices need about ${need} in this process and as many in the gateway. ` +
    `Raise it in the shell that runs this (up to the hard limit, \`ulimit -Hn\`): ulimit -n ${need}`
}

/** A warning when one address has fewer ephemeral ports than the fleet has connections, else undefined. */
export function ephemeralPortsWarning (devices: number): string | undefined {
  const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
  return hi - lo + 1 < devices + 100 ? `${hi - lo + 1} ephemeral ports for ${devices} connections to one address (net.ipv4.ip_local_port_range)` : undefined
}

/** `n` punches for device `d`, a minute apart and ending a minute before `now`: a backlog from an outage. */
export function punchesFor (d: number, n: number, now: number): PunchInput[] {
  const out: PunchInput[] = []
  for (let i = 0; i < n; i++) out.push({ ts: now - (n - i) * 60_000, emp: 'E' + String(1000 + ((d * 7 + i) % 500)), kind: i % 2 === 0 ? 'in' : 'out', method: 'card', clock: 'synced' })
  return out
}

export interface LiteFleetOptions {
  /** the gateway's mqtt:// URL */
  url: string
  /** one per device; device `d` is `${idPrefix}${d}` */
  rings: Ring[]
  idPrefix: string
  /** uplink options beyond the device's own defaults (batchSize, backoff, ackTimeoutMs...) */
  uplink?: Partial<Omit<UplinkOptions, 'url' | 'deviceId' | 'ring' | 'log' | 'connect'>>
  /** how long a device waits for its CONNACK before it gives up and tries again; the uplink's own (DEFAULT_CONNECT_TIMEOUT_MS) by default */
  connackTimeoutMs?: number
}

export class LiteFleet {
  readonly uplinks: Uplink[]
  readonly size: number
  /** devices that have come online at least once */
  online = 0
  /** punches acked, counted per ack (a batch sent twice and acked twice counts twice) */
  acked = 0
  /** devices whose ring was empty after an ack */
  drained = 0
  /** connection attempts, first ones and retries */
  attempts = 0
  /** connection errors by message: refused connects and timeouts are what a herd looks like from here */
  readonly errors = new Map<string, number>()
  /** ms from `start()` at which each device first came online */
  readonly onlineAfter: number[] = []
  /** ms from opening the connection to its TCP connect, and to its CONNACK, of every attempt that got that far */
  readonly tcpMs: number[] = []
  readonly connackMs: number[] = []
  /** performance.now() of `start()`, of the last device online, of the last ring drained (0 until then) */
  startedAt = 0
  allOnlineAt = 0
  allDrainedAt = 0
  /** resolve when every device has come online, when every ring has drained */
  readonly allOnline: Promise<void>
  readonly allDrained: Promise<void>
  #starting?: StaggeredStart

  constructor (o: LiteFleetOptions) {
    const log = pino({ level: 'silent' })
    const n = this.size = o.rings.length
    let allOnline!: () => void
    let allDrained!: () => void
    this.allOnline = new Promise<void>(resolve => { allOnline = resolve })
    this.allDrained = new Promise<void>(resolve => { allDrained = resolve })
    const connect: UplinkConnect = (url, opts) => {
      this.attempts++
      const t0 = performance.now()
      const c = new LiteClient(url, o.connackTimeoutMs === undefined ? opts : { ...opts, connectTimeout: o.connackTimeoutMs })
      c.stream.once('connect', () => this.tcpMs.push(performance.now() - t0))
      c.once('connect', () => this.connackMs.push(performance.now() - t0))
      c.on('error', (err: Error) => this.errors.set(err.message, (this.errors.get(err.message) ?? 0) + 1))
      return c
    }
    this.uplinks = o.rings.map((ring, d) => {
      const up = new Uplink({ ...o.uplink, url: o.url, deviceId: `${o.idPrefix}${d}`, ring, log, connect })
      let seen = false
      up.on('online', () => {
        if (seen) return
        seen = true
        this.#starting?.settled(d)
        this.onlineAfter.push(performance.now() - this.startedAt)
        if (++this.online === n) { this.allOnlineAt = performance.now(); allOnline() }
      })
      let empty = false
      up.on('acked', (seqs: number[]) => {
        this.acked += seqs.length
        if (empty || ring.stats().pending > 0) return
        empty = true
        if (++this.drained === n) { this.allDrainedAt = performance.now(); allDrained() }
      })
      return up
    })
  }

  /** Starts every device within `windowMs`, at most `maxConnecting` connecting at once (undefined: no bound). */
  start (windowMs: number, maxConnecting?: number): void {
    this.startedAt = performance.now()
    this.#starting = startStaggered(this.uplinks, { windowMs, maxPending: maxConnecting })
  }

  /** Stops every uplink (offline status + DISCONNECT); resolves with the ms it took. */
  async stop (): Promise<number> {
    this.#starting?.cancel()
    const t0 = performance.now()
    await Promise.all(this.uplinks.map(async up => await up.stop()))
    return performance.now() - t0
  }

  /** "10,000 connection attempts, errors: connack timeout x12" */
  attemptsText (): string {
    return `${this.attempts.toLocaleString('en-US')} connection attempts${this.errors.size === 0 ? '' : ', errors: ' + [...this.errors].map(([m, k]) => `${m} x${k}`).join(', ')}`
  }
}
