/**
 * Watches and badges over BLE (docs/PROTOCOL.md, "BLE GATT layout"): each configured peer is kept
 * connected by a PeerLink; its notifications are reassembled into punch frames, decoded, and emitted as
 * reads. The runtime's reply becomes an ack frame written back, and only that ack lets the peer delete
 * the punch.
 *
 * Counters (InputStats):
 *   frames       punch frames whose CRC held
 *   reads        reads emitted
 *   debounced    frames sent again with an `n` already seen (re-acked, never re-emitted)
 *   badChecksum  frames whose CRC failed
 *   noiseBytes   notification bytes dropped while reassembling (gaps, a frame cut short, oversize)
 *   reconnects   a peer connected again after it had been connected
 *   errors       frames with a good CRC but an unknown version or a bad field, failed attempts to
 *                connect, ack writes that failed on a live link
 */
import { EventEmitter } from 'node:events'
import { withDefaults } from '../../../shared/options.js'
import type { BackoffPolicy } from '../../../shared/backoff.js'
import type { Logger } from '../../../shared/log.js'
import { emptyInputStats, type Input, type InputRead, type InputState, type InputStats, type PunchOutcome } from '../input.js'
import { ackForOutcome, decodePunchFrame, describeFrameError, encodeAckFrame, type PunchFrame } from './frames.js'
import { Reassembler, type ReassemblySink } from './fragments.js'
import { PeerLink, type BleSession } from './peer-link.js'
import { RecentFrames } from './recent.js'

export interface BleInputOptions {
  name: string
  /** peripherals to keep connected, "AA:BB:CC:DD:EE:FF" */
  peers: string[]
  /** BlueZ adapter name ("hci0"); default: the first one */
  adapter?: string
  /** how long one attempt looks for an absent peer before backing off */
  findTimeoutMs?: number
  /** how often the adapter's device list is looked at while looking */
  pollMs?: number
  /** the longest any one D-Bus step (connect, service discovery, a write) may take */
  stepTimeoutMs?: number
  /** how often a connected peer is checked (a link can die without a signal) */
  healthCheckMs?: number
  backoff?: BackoffPolicy
  /** frame numbers remembered per peer for duplicate detection */
  recentPerPeer?: number
  log: Logger
  /** node-ble's createBluetooth, or a stand-in */
  createBluetooth: () => BleSession
  random?: () => number
}

const DEFAULTS = {
  findTimeoutMs: 30_000,
  pollMs: 1_000,
  stepTimeoutMs: 30_000,
  healthCheckMs: 15_000,
  backoff: { baseMs: 1_000, capMs: 30_000 },
  recentPerPeer: 1_024,
  random: Math.random
}

interface PeerState {
  link: PeerLink
  reassembler: Reassembler
  sink: ReassemblySink
  /** warn once per run of failures, then debug, so a watch left at home does not flood the log */
  failing: boolean
}

export class BleInput extends EventEmitter implements Input {
  readonly name: string
  readonly #o: typeof DEFAULTS & BleInputOptions
  readonly #stats = emptyInputStats()
  readonly #peers = new Map<PeerLink, PeerState>()
  readonly #recent: RecentFrames
  #state: InputState = 'closed'
  #detail: string | undefined

  constructor (opts: BleInputOptions) {
    super()
    this.#o = withDefaults(DEFAULTS, opts)
    this.name = opts.name
    this.#recent = new RecentFrames(this.#o.recentPerPeer)
    const o = this.#o
    for (const address of new Set(o.peers)) {
      const link = new PeerLink({
        address,
        adapter: o.adapter,
        createBluetooth: o.createBluetooth,
        findTimeoutMs: o.findTimeoutMs,
        pollMs: o.pollMs,
        stepTimeoutMs: o.stepTimeoutMs,
        healthCheckMs: o.healthCheckMs,
        backoff: o.backoff,
        random: o.random,
        log: o.log,
        events: {
          up: (l, again) => this.#onUp(l, again),
          down: (l, why) => this.#onDown(l, why),
          failed: (l, why) => this.#onFailed(l, why),
          notification: (l, value) => {
            const p = this.#peers.get(l)
            p?.reassembler.push(value, p.sink)
          }
        }
      })
      const sink: ReassemblySink = {
        frame: (bytes) => this.#onFrame(link, bytes),
        noise: (bytes, why) => {
          this.#stats.noiseBytes += bytes
          o.log.debug({ input: this.name, peer: address, bytes, why }, 'ble: notification bytes dropped')
        }
      }
      this.#peers.set(link, { link, reassembler: new Reassembler(), sink, failing: false })
    }
  }

  get state (): InputState { return this.#state }

  async start (): Promise<void> {
    if (this.#state !== 'closed') return
    this.#setState('opening')
    for (const p of this.#peers.values()) p.link.start()
  }

  async stop (): Promise<void> {
    await Promise.all([...this.#peers.keys()].map(async link => await link.stop()))
    for (const p of this.#peers.values()) p.reassembler.reset(p.sink)
    this.#setState('closed')
  }

  stats (): InputStats { return { ...this.#stats } }

  #onUp (link: PeerLink, again: boolean): void {
    const p = this.#peers.get(link)!
    p.failing = false
    if (again) this.#stats.reconnects++
    this.#o.log.info({ input: this.name, peer: link.address, again }, 'ble: peer connected')
    this.#setState('open')
  }

  #onDown (link: PeerLink, why: string): void {
    const p = this.#peers.get(link)!
    p.reassembler.reset(p.sink)
    this.#o.log.warn({ input: this.name, peer: link.address, why }, 'ble: peer lost; reconnecting')
    this.#settleState(`${link.address}: ${why}`)
  }

  #onFailed (link: PeerLink, why: string): void {
    const p = this.#peers.get(link)!
    p.reassembler.reset(p.sink)
    this.#stats.errors++
    this.#o.log[p.failing ? 'debug' : 'warn']({ input: this.name, peer: link.address, why }, 'ble: cannot reach peer; retrying')
    p.failing = true
    this.#settleState(`${link.address}: ${why}`)
  }

  #onFrame (link: PeerLink, bytes: Buffer): void {
    const log = this.#o.log
    const peer = link.address
    const d = decodePunchFrame(bytes)
    if (!d.ok) {
      const error = describeFrameError(d.error)
      if (d.problem === 'checksum') {
        this.#stats.badChecksum++
        log.debug({ input: this.name, peer, error }, 'ble: frame checksum failed')
        return
      }
      this.#stats.errors++
      log.warn({ input: this.name, peer, error, n: d.n }, 'ble: unreadable punch frame')
      // Sending it again cannot make it readable: tell the peer, so it stops and shows the fault.
      if (d.n !== undefined) this.#ack(link, d.n, { outcome: 'refused', reason: 'invalid', message: error })
      return
    }
    this.#stats.frames++
    const f = d.frame
    const key = RecentFrames.key(f.ts, f.emp)
    const seen = this.#recent.admit(peer, f.n, key)
    if (seen.kind === 'repeat') {
      this.#stats.debounced++
      log.debug({ input: this.name, peer, n: f.n, settled: seen.outcome !== undefined }, 'ble: frame sent again')
      if (seen.outcome !== undefined) this.#ack(link, f.n, seen.outcome)
      return
    }
    if (seen.counterRestarted) log.warn({ input: this.name, peer, n: f.n }, 'ble: peer reused a frame number for another punch; it restarted its counter')
    this.#stats.reads++
    this.emit('read', this.#toRead(link, f, key))
  }

  #toRead (link: PeerLink, f: PunchFrame, key: string): InputRead {
    let replied = false
    const read: InputRead = {
      input: this.name,
      emp: f.emp,
      method: f.method,
      ts: f.ts,
      reply: (outcome: PunchOutcome) => {
        if (replied) return
        replied = true
        this.#recent.settle(link.address, f.n, key, outcome)
        this.#ack(link, f.n, outcome)
      }
    }
    if (f.kind !== undefined) read.kind = f.kind
    if (f.clock !== undefined) read.clock = f.clock
    if (f.loc !== undefined) read.loc = f.loc
    if (f.manual !== undefined) read.manual = f.manual
    return read
  }

  #ack (link: PeerLink, n: number, outcome: PunchOutcome): void {
    const log = this.#o.log
    const encoded = encodeAckFrame(ackForOutcome(n, outcome))
    if (!encoded.ok) {
      this.#stats.errors++
      log.error({ input: this.name, peer: link.address, n, error: describeFrameError(encoded.error) }, 'ble: cannot encode ack')
      return
    }
    void link.write(encoded.bytes).then(result => {
      if (result === 'failed') this.#stats.errors++
      if (result !== 'written') log.debug({ input: this.name, peer: link.address, n, result }, 'ble: ack not written; the peer will send the frame again')
    })
  }

  #settleState (detail: string): void {
    if (this.#state === 'closed') return
    if ([...this.#peers.keys()].some(l => l.connected)) this.#setState('open')
    else this.#setState('error', detail)
  }

  #setState (s: InputState, detail?: string): void {
    if (s === this.#state && detail === this.#detail) return
    this.#state = s
    this.#detail = detail
    this.emit('state', s, detail)
  }
}
