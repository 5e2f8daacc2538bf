/**
 * One peripheral, kept connected: find it, connect, subscribe to the punch characteristic, hand each
 * notification up, write acks, and after any loss or failed attempt start again after a capped, jittered
 * backoff (shared/backoff.ts).
 *
 * Every attempt gets its own node-ble session, i.e. its own D-Bus connection, destroyed when the attempt
 * ends. node-ble adds a D-Bus signal listener per object it builds and removes it only on a successful
 * Disconnect call, which a peripheral that walked away never allows; a session per connection drops
 * them all, and BlueZ ends the discovery and notify sessions of a client that leaves the bus.
 * Each D-Bus step is bounded in time and cancellable: a bus that died never answers, and stop() must not
 * wait for a timer to let the process exit.
 */
import type { EventEmitter } from 'node:events'
import type NodeBle from 'node-ble'
import { retryDelay, type BackoffPolicy } from '../../../shared/backoff.js'
import type { Logger } from '../../../shared/log.js'
import { ACK_CHARACTERISTIC_UUID, PUNCH_CHARACTERISTIC_UUID, PUNCH_SERVICE_UUID } from './gatt.js'

export type BleSession = ReturnType<typeof NodeBle.createBluetooth>

export interface PeerLinkEvents {
  /** connected and subscribed; `again` when this peer had been up before */
  up (link: PeerLink, again: boolean): void
  /** was up, is lost */
  down (link: PeerLink, why: string): void
  /** an attempt failed before the link was up */
  failed (link: PeerLink, why: string): void
  notification (link: PeerLink, value: Buffer): void
}

export interface PeerLinkOptions {
  address: string
  adapter?: string
  createBluetooth: () => BleSession
  findTimeoutMs: number
  pollMs: number
  stepTimeoutMs: number
  /** while up, how often the link is asked whether it is still connected */
  healthCheckMs: number
  backoff: BackoffPolicy
  random: () => number
  log: Logger
  events: PeerLinkEvents
}

export type WriteResult = 'written' | 'offline' | 'failed'

interface Attempt {
  ble: BleSession
  abort: AbortController
  device?: NodeBle.Device
  connectCalled: boolean
  punch?: NodeBle.GattCharacteristic
  ack?: NodeBle.GattCharacteristic
  up: boolean
  writes: Promise<unknown>
  health?: NodeJS.Timeout
}

const DISCONNECT_WAIT_MS = 2_000

export class PeerLink {
  readonly address: string
  readonly #o: PeerLinkOptions
  #running = false
  #current?: Attempt
  #retries = 0
  #retryTimer?: NodeJS.Timeout
  #everUp = false
  /** releases under way, so stop() returns only once every session is disconnected and destroyed */
  readonly #releasing = new Set<Promise<void>>()

  constructor (o: PeerLinkOptions) {
    this.address = o.address
    this.#o = o
  }

  get connected (): boolean { return this.#current?.up === true }

  start (): void {
    if (this.#running) return
    this.#running = true
    void this.#run()
  }

  async stop (): Promise<void> {
    this.#running = false
    clearTimeout(this.#retryTimer)
    const att = this.#current
    this.#current = undefined
    if (att !== undefined) void this.#release(att, 'stopped')
    await Promise.all([...this.#releasing])
  }

  /** Writes an ack frame with response, after any writes before it on this connection. */
  write (bytes: Buffer): Promise<WriteResult> {
    const att = this.#current
    const ack = att?.ack
    if (att === undefined || ack === undefined || att.abort.signal.aborted) return Promise.resolve('offline')
    const done = att.writes.then(() => this.#step(att, ack.writeValue(bytes, { type: 'request' }), 'ack write'))
      .then((): WriteResult => 'written', (): WriteResult => att.abort.signal.aborted ? 'offline' : 'failed')
    att.writes = done
    return done
  }

  async #run (): Promise<void> {
    if (!this.#running) return
    let ble: BleSession
    try {
      ble = this.#o.createBluetooth()
    } catch (err) {
      this.#o.events.failed(this, `bluetooth: ${(err as Error).message}`)
      this.#scheduleRetry()
      return
    }
    const att: Attempt = { ble, abort: new AbortController(), connectCalled: false, up: false, writes: Promise.resolve() }
    this.#current = att
    try {
      await this.#connect(att)
    } catch (err) {
      if (this.#current !== att) return
      this.#current = undefined
      await this.#release(att, 'attempt failed')
      if (!this.#running) return
      this.#o.events.failed(this, (err as Error).message)
      this.#scheduleRetry()
    }
  }

  async #connect (att: Attempt): Promise<void> {
    const o = this.#o
    // node-ble keeps its D-Bus connection private; without a listener its 'error' event (the bus socket
    // refused or gone) would be an uncaught exception.
    ;(att.ble.bluetooth as unknown as { dbus?: EventEmitter }).dbus?.on('error', (err: Error) => this.#lost(att, `D-Bus: ${err.message}`))
    const bt = att.ble.bluetooth
    const adapter = await this.#step(att, o.adapter === undefined ? bt.defaultAdapter() : bt.getAdapter(o.adapter), 'adapter')
    const ownDiscovery = await this.#step(att, startDiscovery(adapter), 'discovery')
    const device = await this.#find(att, adapter)
    att.device = device
    device.on('disconnect', () => this.#lost(att, 'peer disconnected'))
    att.connectCalled = true
    await this.#step(att, device.connect(), 'connect')
    // Scanning slows the radio down for the links; another peer still searching starts its own again.
    if (ownDiscovery) await this.#step(att, adapter.stopDiscovery(), 'stop discovery').catch(() => {})
    const gatt = await this.#step(att, device.gatt(), 'GATT services')
    const service = await this.#step(att, gatt.getPrimaryService(PUNCH_SERVICE_UUID), 'punch service')
    att.punch = await this.#step(att, service.getCharacteristic(PUNCH_CHARACTERISTIC_UUID), 'punch characteristic')
    att.ack = await this.#step(att, service.getCharacteristic(ACK_CHARACTERISTIC_UUID), 'ack characteristic')
    // Notifications can arrive in the same read as StartNotify's reply, before the await below returns.
    att.punch.on('valuechanged', (value: Buffer) => {
      if (this.#current === att) o.events.notification(this, value)
    })
    await this.#step(att, att.punch.startNotifications(), 'subscribe')
    att.up = true
    this.#scheduleHealth(att)
    this.#retries = 0
    const again = this.#everUp
    this.#everUp = true
    o.events.up(this, again)
  }

  /**
   * node-ble's waitDevice polls getDevice the same way, but cannot be cancelled: its interval would keep
   * the process alive after stop() until its timeout. So the poll is ours.
   */
  async #find (att: Attempt, adapter: NodeBle.Adapter): Promise<NodeBle.Device> {
    const o = this.#o
    const deadline = Date.now() + o.findTimeoutMs
    for (;;) {
      try {
        return await this.#step(att, adapter.getDevice(this.address), 'find')
      } catch (err) {
        if (!(err as Error).message.endsWith('Device not found')) throw err
      }
      if (Date.now() >= deadline) throw new Error(`not found within ${o.findTimeoutMs} ms`)
      await this.#step(att, new Promise(resolve => setTimeout(resolve, o.pollMs).unref()), 'find')
    }
  }

  /**
   * A link can die without a word: bluetoothd restarting or the bus going away sends no
   * Connected=false, and notifications just stop. So a live link is asked now and then.
   */
  #scheduleHealth (att: Attempt): void {
    att.health = setTimeout(() => {
      const device = att.device
      if (device === undefined || this.#current !== att) return
      this.#step(att, device.isConnected() as Promise<unknown>, 'health check').then(
        connected => {
          if (connected !== true) this.#lost(att, 'BlueZ says the peer is not connected')
          else if (this.#current === att) this.#scheduleHealth(att)
        },
        (err: Error) => this.#lost(att, err.message)
      )
    }, this.#o.healthCheckMs).unref()
  }

  #lost (att: Attempt, why: string): void {
    if (this.#current !== att) return
    if (!att.up) {
      att.abort.abort(new Error(why))
      return
    }
    this.#current = undefined
    att.up = false
    this.#o.events.down(this, why)
    void this.#release(att, why).then(() => this.#scheduleRetry())
  }

  #scheduleRetry (): void {
    if (!this.#running) return
    clearTimeout(this.#retryTimer)
    this.#retryTimer = setTimeout(() => { void this.#run() }, retryDelay(this.#retries++, this.#o.backoff, this.#o.random))
  }

  #release (att: Attempt, why: string): Promise<void> {
    const done = this.#releaseNow(att, why).finally(() => this.#releasing.delete(done))
    this.#releasing.add(done)
    return done
  }

  async #releaseNow (att: Attempt, why: string): Promise<void> {
    clearTimeout(att.health)
    if (!att.abort.signal.aborted) att.abort.abort(new Error(why))
    att.punch?.removeAllListeners('valuechanged')
    att.device?.removeAllListeners('disconnect')
    if (att.device !== undefined && att.connectCalled) {
      // Best effort: a peripheral that is gone cannot be asked, and a dead bus never answers.
      await settleWithin(att.device.disconnect(), DISCONNECT_WAIT_MS)
    }
    att.ble.destroy()
  }

  /** A D-Bus call bounded in time and by the attempt's lifetime. */
  #step<T> (att: Attempt, p: Promise<T>, what: string): Promise<T> {
    const signal = att.abort.signal
    const ms = this.#o.stepTimeoutMs
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) {
        p.catch(() => {})
        reject(signal.reason)
        return
      }
      const onAbort = (): void => { clearTimeout(timer); reject(signal.reason) }
      const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); reject(new Error(`${what}: no answer within ${ms} ms`)) }, ms)
      signal.addEventListener('abort', onAbort, { once: true })
      p.then(
        value => { clearTimeout(timer); signal.removeEventListener('abort', onAbort); resolve(value) },
        (err: Error) => { clearTimeout(timer); signal.removeEventListener('abort', onAbort); reject(new Error(`${what}: ${err.message}`)) }
      )
    })
  }
}

async function startDiscovery (adapter: NodeBle.Adapter): Promise<boolean> {
  if (await adapter.isDiscovering()) return false
  await adapter.startDiscovery()
  return true
}

async function settleWithin (p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([p.catch(() => {}), new Promise(resolve => { timer = setTimeout(resolve, ms) })])
  clearTimeout(timer)
}
