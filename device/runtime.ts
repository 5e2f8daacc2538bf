/**
 * One device: inputs → (duplicate-read check, clock, GPS stamp) → ring → uplink, and an outcome for every
 * read that a display or buzzer can show. The ring is the only backlog (docs/ARCHITECTURE.md, decision 3): a
 * read is accepted only once its punch is on the medium, and the uplink sends from there while it can.
 *
 * Events:
 *   'outcome' (e: PunchEvent)   every read, with what became of it
 *   'online' / 'offline'        the gateway connection
 *   'clock' (jump: ClockJump)   the gateway's time command was applied
 */
import { EventEmitter } from 'node:events'
import type { Logger } from '../shared/log.js'
import type { DeviceStatus, InputStatus } from '../shared/codec/status.js'
import type { PunchInput, PunchKind } from '../shared/punch.js'
import { brokerTls, type DeviceConfig } from './config.js'
import { DeviceClock } from './clock.js'
import { openFileRing, type Ring, type RingStats } from './ring/index.js'
import { Uplink, type UplinkOptions, type UplinkStats } from './uplink.js'
import { RecentReads } from './recent-reads.js'
import type { GpsFix, Input, InputRead, InputStats, PunchOutcome } from './inputs/input.js'

export interface PunchEvent {
  /** corrected device time of the read */
  at: number
  /** seq of the older punch the ring gave up to take this one (policy 'overwrite-oldest') */
  overwrote?: number
  input: string
  emp: string
  method: InputRead['method']
  outcome: PunchOutcome
}

export interface RuntimeDeps {
  log: Logger
  /** the inputs built from the config (device/inputs/index.ts), or any others */
  inputs?: Input[]
  /** a ring already open (the simulator's memory twin); otherwise the file ring of the config */
  ring?: Ring
  /** the system clock; the simulator passes its virtual clock */
  systemNow?: () => number
  monotonic?: () => number
  random?: () => number
  /** status fields only the host knows, e.g. battery from /sys/class/power_supply */
  battery?: () => number | undefined
  /**
   * how the uplink reaches the gateway, over what the config says: the simulator passes its light MQTT
   * client on in-process links (sim/fleet/lite-client.ts) and a shorter reconnect backoff
   */
  uplink?: Pick<UplinkOptions, 'connect' | 'backoff'>
  /**
   * the logger of one part (clock, ring, uplink): by default a child of `log` tagged with the part; the
   * simulator keeps its thousands of devices to one logger each
   */
  partLog?: (part: string) => Logger
}

export interface RuntimeStats {
  reads: number
  accepted: number
  duplicateReads: number
  refused: number
  ring: RingStats
  uplink: UplinkStats
  inputs: Record<string, InputStats & { state: string }>
}

/** A runtime without inputs (the simulator's, a test's) shares this empty list. */
const NO_INPUTS: readonly Input[] = Object.freeze([])

/** Most distinct credentials remembered for the duplicate-read window; a bound, not a tuning knob. */
const MAX_RECENT = 4096

export class DeviceRuntime extends EventEmitter {
  readonly config: DeviceConfig
  readonly clock: DeviceClock
  readonly ring: Ring
  readonly uplink: Uplink
  readonly inputs: readonly Input[]
  readonly #log: Logger
  readonly #battery?: () => number | undefined
  /** the last accepted punch of each credential read within the duplicate-read window */
  readonly #recent: RecentReads
  #lastFix: GpsFix | undefined
  #counts = { reads: 0, accepted: 0, duplicateReads: 0, refused: 0 }

  constructor (config: DeviceConfig, deps: RuntimeDeps) {
    super()
    this.config = config
    this.#log = deps.log
    this.#battery = deps.battery
    this.#recent = new RecentReads(config.duplicateWindowMs, MAX_RECENT)
    const partLog = deps.partLog ?? partChildren(deps.log)
    this.clock = new DeviceClock({
      systemNow: deps.systemNow,
      monotonic: deps.monotonic,
      trustSystemClock: config.clock.trustSystemClock,
      jumpWarnMs: config.clock.jumpWarnMs,
      log: partLog('clock')
    })
    const now = (): number => this.clock.now()
    this.ring = deps.ring ?? openFileRing({
      path: config.ring.path,
      capacity: config.ring.capacity,
      retentionMs: config.ring.retentionHours * 3_600_000,
      policy: config.ring.policy,
      now,
      log: partLog('ring')
    })
    this.uplink = new Uplink({
      url: config.broker.url,
      failoverUrls: config.broker.failoverUrls,
      deviceId: config.id,
      secret: config.secret,
      ring: this.ring,
      batchSize: config.uplink.batchSize,
      window: config.uplink.window,
      order: config.uplink.order,
      ackTimeoutMs: config.uplink.ackTimeoutMs,
      connectTimeoutMs: config.uplink.connectTimeoutMs,
      backoff: { baseMs: 500, capMs: config.uplink.backoffCapMs },
      statusIntervalMs: config.uplink.statusIntervalMs,
      tz: config.tz,
      fw: config.fw,
      log: partLog('uplink'),
      now,
      random: deps.random,
      statusExtras: () => this.#statusExtras(),
      mqttOptions: brokerTls(config),
      ...deps.uplink
    })
    this.uplink.on('time', (gatewayNow: number) => {
      const jump = this.clock.set(gatewayNow)
      this.emit('clock', jump)
      this.uplink.publishStatus()
    })
    this.uplink.on('online', () => this.emit('online'))
    this.uplink.on('offline', () => this.emit('offline'))
    this.inputs = deps.inputs ?? NO_INPUTS
    for (const input of this.inputs) {
      input.on('read', (read: InputRead) => this.#onRead(read))
      input.on('fix', (fix: GpsFix) => { this.#lastFix = fix })
      input.on('state', (state: string, detail?: string) => {
        const level = state === 'error' ? 'warn' : 'info'
        this.#log[level]({ input: input.name, state, detail }, 'input state')
      })
    }
  }

  async start (): Promise<void> {
    const r = this.ring.stats()
    this.#log.info({ device: this.config.id, epoch: this.ring.epoch, capacity: r.capacity, pending: r.pending, corrupt: r.corrupt, clockSynced: this.clock.synced }, 'device runtime starting')
    this.uplink.start()
    await Promise.all(this.inputs.map(async i => await i.start()))
  }

  async stop (): Promise<void> {
    await Promise.all(this.inputs.map(async i => await i.stop()))
    await this.uplink.stop()
    this.ring.close()
  }

  /** A punch from anything that is not an Input (the simulator, a test, a menu entry). */
  punch (read: Omit<InputRead, 'input'> & { input?: string }): PunchOutcome {
    return this.#onRead({ input: 'api', ...read })
  }

  syncNow (): void { this.uplink.syncNow() }

  stats (): RuntimeStats {
    const inputs: RuntimeStats['inputs'] = {}
    for (const i of this.inputs) inputs[i.name] = { ...i.stats(), state: i.state }
    return { ...this.#counts, ring: this.ring.stats(), uplink: { ...this.uplink.stats }, inputs }
  }

  #onRead (read: InputRead): PunchOutcome {
    this.#counts.reads++
    const at = this.clock.now()
    const { outcome, overwrote } = this.#store(read, at)
    if (outcome.outcome === 'accepted') this.#counts.accepted++
    else if (outcome.outcome === 'duplicate-read') this.#counts.duplicateReads++
    else this.#counts.refused++
    const event: PunchEvent = { at, input: read.input, emp: read.emp, method: read.method, outcome }
    if (overwrote !== undefined) event.overwrote = overwrote
    this.emit('outcome', event)
    try {
      read.reply?.(outcome)
    } catch (err) {
      this.#log.warn({ err, input: read.input }, 'input could not take the outcome back')
    }
    if (outcome.outcome === 'accepted') this.uplink.kick()
    return outcome
  }

  #store (read: InputRead, at: number): { outcome: PunchOutcome, overwrote?: number } {
    const window = this.config.duplicateWindowMs
    const last = this.#recent.get(read.emp)
    if (window > 0 && last !== undefined && at - last.at >= 0 && at - last.at < window && read.manual === undefined) {
      return { outcome: { outcome: 'duplicate-read', previousSeq: last.seq } }
    }
    // A source with its own clock (a watch) says whether it was synced; otherwise ours stamps the read.
    const ownClock = read.ts === undefined
    const synced = ownClock ? this.clock.synced : read.clock !== 'unsynced'
    const punch: PunchInput = {
      ts: read.ts ?? at,
      emp: read.emp,
      kind: read.kind ?? ('auto' as PunchKind),
      method: read.manual !== undefined ? 'manual' : read.method,
      clock: synced ? 'synced' : 'unsynced'
    }
    // Our uptime only helps correct a timestamp our own clock made.
    if (!synced && ownClock) punch.up = this.clock.uptime()
    const loc = read.loc ?? this.#freshFix(at)
    if (loc !== undefined) punch.loc = loc
    if (read.manual !== undefined) punch.manual = { reason: read.manual.reason }
    let r: ReturnType<Ring['append']>
    try {
      r = this.ring.append(punch)
    } catch (err) {
      // The medium failed (EIO, a read-only remount): the read is refused and said so, the runtime goes on.
      this.#log.error({ err, emp: read.emp }, 'ring write failed: the punch was not stored')
      return { outcome: { outcome: 'refused', reason: 'storage-error', message: `storage error: ${(err as Error).message}; the punch was not recorded, call support` } }
    }
    if (!r.ok) {
      if (r.reason === 'full') {
        return { outcome: { outcome: 'refused', reason: 'storage-full', message: `storage full: ${this.ring.capacity} punches wait for the gateway; the punch was not recorded, connect the device or call support` } }
      }
      return { outcome: { outcome: 'refused', reason: 'too-large', message: r.message } }
    }
    this.#recent.remember(read.emp, r.seq, at)
    return { outcome: { outcome: 'accepted', seq: r.seq }, overwrote: r.overwrote?.seq }
  }

  #freshFix (at: number): { lat: number, lon: number, acc: number } | undefined {
    const f = this.#lastFix
    if (f === undefined || Math.abs(at - f.ts) > this.config.maxFixAgeMs) return undefined
    return { lat: f.lat, lon: f.lon, acc: f.acc }
  }

  #statusExtras (): Pick<DeviceStatus, 'clock' | 'uptime' | 'battery' | 'inputs'> {
    const extras: Pick<DeviceStatus, 'clock' | 'uptime' | 'battery' | 'inputs'> = { clock: this.clock.status(), uptime: this.clock.uptime() }
    const b = this.#battery?.()
    if (b !== undefined) extras.battery = b
    if (this.inputs.length > 0) extras.inputs = Object.fromEntries(this.inputs.map(i => [i.name, inputStatus(i)]))
    return extras
  }
}

/**
 * A child logger per part. Made outside the constructor so that the closures the runtime keeps (its clock
 * reader, its listeners) do not hold the constructor's `deps` and whatever they point to.
 */
function partChildren (log: Logger): (part: string) => Logger {
  return (part) => log.child({ part })
}

/** What the gateway is told of an input: enough to see a reader that stopped, or a line that is noisy. */
function inputStatus (input: Input): InputStatus {
  const s: InputStats & { deadPortResets?: number } = input.stats()
  const out: InputStatus = { state: input.state, reconnects: s.reconnects, badChecksum: s.badChecksum, noiseBytes: s.noiseBytes, errors: s.errors }
  if (s.deadPortResets !== undefined) out.deadPortResets = s.deadPortResets
  return out
}
