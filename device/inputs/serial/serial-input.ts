/**
 * A reader on a serial port: opens it, hands its bytes to the protocol (RDM6300, Wiegand text, R307,
 * NMEA), debounces credentials and keeps the port open. A USB adapter that is unplugged closes the port
 * (serialport reports a disconnect); the input then says 'error' and opens the path again with a capped
 * backoff until the adapter is back. No jitter: one device reopening one local path has no herd to spread.
 *
 * serialport does not always report the unplug. @serialport/bindings-cpp 13 retries a read that returns
 * 0 bytes at once and forever (serialport/bindings-cpp#162, fix proposed in #164, unmerged), and 0 bytes
 * is what a hung-up tty answers: when the adapter goes while a read is already queued on libuv's
 * threadpool (a busy CPU widens that window), the port never closes, every later byte is lost and one
 * pool thread spins on read() as fast as it can. The bindings give no hook into that loop, so a watchdog
 * checks every `watchdogMs` (a second by default) that the path still names the device that was opened
 * (stat: rdev and inode; a replug makes a new node, and the old one's minor stays taken while our fd
 * holds it) and, when it does not, closes the port and reopens: `deadPortResets` counts it.
 */
import { EventEmitter } from 'node:events'
import { statSync } from 'node:fs'
import { SerialPort } from 'serialport'
import type { Logger } from '../../../shared/log.js'
import type { PunchMethod } from '../../../shared/punch.js'
import { withDefaults } from '../../../shared/options.js'
import type { BackoffPolicy } from '../../../shared/backoff.js'
import { emptyInputStats, type Input, type InputRead, type InputState, type InputStats } from '../input.js'
import type { ProtocolEvents, SerialProtocol } from './protocol.js'

export interface SerialInputStats extends InputStats {
  /** fingers the module did not know (R307) */
  noMatch: number
  /** ports found dead by the watchdog (path gone or another device) while serialport still said open */
  deadPortResets: number
}

export interface SerialInputOptions {
  name: string
  path: string
  baudRate: number
  method: PunchMethod
  protocol: (events: ProtocolEvents) => SerialProtocol
  /** a credential seen again within this long of its last sighting is a repeat, not a read */
  debounceMs?: number
  backoff?: BackoffPolicy
  log: Logger
  now?: () => number
  /** how often the open port's path is checked against the device opened; 0 = never (default 1000) */
  watchdogMs?: number
}

/** Which device node a path names; undefined when it names none (gone, or not a file path: COM3). */
interface NodeIdentity { rdev: number, ino: number }

function nodeAt (path: string): NodeIdentity | undefined {
  try {
    // Sync on purpose: the loop this guards against keeps the threadpool busy, and an async stat would
    // queue behind it. A stat of a device node does not touch the device.
    const s = statSync(path)
    return { rdev: s.rdev, ino: s.ino }
  } catch {
    return undefined
  }
}

export class SerialInput extends EventEmitter implements Input {
  readonly name: string
  readonly #o: Required<SerialInputOptions>
  readonly #protocol: SerialProtocol
  readonly #stats: SerialInputStats = { ...emptyInputStats(), noMatch: 0, deadPortResets: 0 }
  /** credential → last sighting, for the debounce */
  readonly #lastSeen = new Map<string, number>()
  #state: InputState = 'closed'
  #port?: SerialPort
  #running = false
  /** bumped by stop(), so an open still in flight from before a stop and start is dropped */
  #generation = 0
  #everOpen = false
  #attempt = 0
  #retryTimer?: NodeJS.Timeout
  #watchdog?: NodeJS.Timeout

  constructor (opts: SerialInputOptions) {
    super()
    this.#o = withDefaults({ debounceMs: 1500, backoff: { baseMs: 250, capMs: 5000 }, now: Date.now, watchdogMs: 1000 }, opts)
    this.name = opts.name
    this.#protocol = opts.protocol(this.#protocolEvents())
  }

  get state (): InputState { return this.#state }

  stats (): SerialInputStats { return { ...this.#stats } }

  /** Resolves after the first attempt to open, whether or not it worked; failures are retried. */
  async start (): Promise<void> {
    if (this.#running) return
    this.#running = true
    this.#setState('opening')
    await this.#open()
  }

  async stop (): Promise<void> {
    this.#running = false
    this.#generation++
    clearTimeout(this.#retryTimer)
    clearInterval(this.#watchdog)
    const port = this.#port
    this.#port = undefined
    this.#protocol.closed()
    if (port?.isOpen === true) await new Promise<void>(resolve => port.close(() => resolve()))
    this.#setState('closed')
  }

  #protocolEvents (): ProtocolEvents {
    const log = this.#o.log
    const s = this.#stats
    return {
      frame: () => { s.frames++ },
      credential: (emp) => this.#credential(emp),
      fix: (fix) => this.#emitSafely('fix', { ...fix, input: this.name }),
      badChecksum: (raw) => { s.badChecksum++; log.debug({ input: this.name, raw }, 'frame failed its checksum') },
      noise: (bytes, why) => { s.noiseBytes += bytes; log.debug({ input: this.name, bytes, why }, 'discarded serial noise') },
      error: (why) => { s.errors++; log.warn({ input: this.name, why }, 'reader fault') },
      noMatch: () => { s.noMatch++; this.#emitSafely('nomatch') }
    }
  }

  #credential (emp: string): void {
    const now = this.#o.now()
    const last = this.#lastSeen.get(emp)
    this.#lastSeen.set(emp, now)
    if (last !== undefined && now - last < this.#o.debounceMs) {
      this.#stats.debounced++
      return
    }
    if (this.#lastSeen.size > 32) {
      for (const [k, at] of this.#lastSeen) if (now - at >= this.#o.debounceMs) this.#lastSeen.delete(k)
    }
    this.#stats.reads++
    const read: InputRead = { input: this.name, emp, method: this.#o.method }
    this.#emitSafely('read', read)
  }

  /** A listener that throws must not unwind into serialport's data path. */
  #emitSafely (event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args)
    } catch (err) {
      this.#o.log.error({ input: this.name, event, err: (err as Error).message }, 'input listener threw')
    }
  }

  #setState (state: InputState, detail?: string): void {
    if (state === this.#state) return
    this.#state = state
    this.#emitSafely('state', state, detail)
  }

  /** A new port on the path, opened; the error when it cannot be (bad options throw, a missing path fails). */
  async #openPort (): Promise<SerialPort | Error> {
    const o = this.#o
    try {
      // Never port.set(): setting DTR/RTS fails on a PTY (the simulator's fake hardware), and these
      // readers ignore those lines anyway.
      const port = new SerialPort({ path: o.path, baudRate: o.baudRate, autoOpen: false })
      port.on('error', (e: Error) => {
        this.#stats.errors++
        o.log.warn({ input: this.name, err: e.message }, 'serial port error')
      })
      const err = await new Promise<Error | null>(resolve => port.open(resolve))
      return err ?? port
    } catch (err) {
      return err as Error
    }
  }

  async #open (): Promise<void> {
    const o = this.#o
    const generation = this.#generation
    const port = await this.#openPort()
    if (!this.#running || generation !== this.#generation) {
      if (!(port instanceof Error)) port.close(() => {})
      return
    }
    if (port instanceof Error) {
      this.#stats.errors++
      const level = this.#attempt === 0 ? 'warn' : 'debug'
      o.log[level]({ input: this.name, path: o.path, err: port.message }, 'cannot open serial port; retrying')
      this.#setState('error', port.message)
      this.#retry()
      return
    }
    this.#port = port
    this.#attempt = 0
    this.#watch(port)
    if (this.#everOpen) {
      this.#stats.reconnects++
      o.log.info({ input: this.name, path: o.path }, 'serial port back')
    }
    this.#everOpen = true
    port.on('data', (chunk: Buffer) => {
      try {
        this.#protocol.push(chunk)
      } catch (e) {
        this.#stats.errors++
        o.log.error({ input: this.name, err: (e as Error).message }, 'decoder failed on a chunk')
      }
    })
    port.once('close', (closeErr?: Error | null) => this.#lost(port, closeErr ?? undefined))
    this.#protocol.opened((bytes) => {
      if (this.#port === port && port.isOpen) port.write(bytes)
    })
    this.#setState('open')
  }

  #lost (port: SerialPort, err: Error | undefined): void {
    if (this.#port !== port || !this.#running) return
    const detail = err?.message ?? 'port closed'
    this.#o.log.warn({ input: this.name, path: this.#o.path, err: detail }, 'serial port lost; reopening')
    this.#reopenLater(detail)
  }

  #reopenLater (detail: string): void {
    this.#port = undefined
    clearInterval(this.#watchdog)
    this.#protocol.closed()
    this.#setState('error', detail)
    this.#retry()
  }

  /** See the header: serialport may never report this port's end, so look at the path it was opened by. */
  #watch (port: SerialPort): void {
    clearInterval(this.#watchdog)
    const { path, watchdogMs } = this.#o
    const opened = nodeAt(path)
    if (opened === undefined || watchdogMs <= 0) return
    this.#watchdog = setInterval(() => {
      if (this.#port !== port) return
      const now = nodeAt(path)
      if (now !== undefined && now.rdev === opened.rdev && now.ino === opened.ino) return
      this.#deadPort(port, now === undefined ? 'the device path is gone' : 'the device path names another device')
    }, watchdogMs).unref()
  }

  #deadPort (port: SerialPort, why: string): void {
    this.#stats.deadPortResets++
    this.#o.log.warn({ input: this.name, path: this.#o.path, why }, 'serial port dead while still open (serialport/bindings-cpp#162); closing it and reopening')
    this.#reopenLater(why)
    // Closing ends the stuck read: the bindings check for a closed port before each retry. Its 'close'
    // comes back to #lost, which ignores a port it no longer holds.
    if (port.isOpen) port.close(() => {})
  }

  #retry (): void {
    const { baseMs, capMs } = this.#o.backoff
    const delay = Math.min(capMs, baseMs * 2 ** Math.min(this.#attempt++, 20))
    clearTimeout(this.#retryTimer)
    this.#retryTimer = setTimeout(() => { void this.#open() }, delay)
  }
}
