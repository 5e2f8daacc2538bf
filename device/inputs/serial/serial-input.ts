/**
 * A reader on a serial port: opens it, hands its bytes to the protocol (RDM6300, Wiegand text, R307,
 * NMEA), debounces credentials and keeps the port open. A USB adapter that is unplugged closes the port
 * (serialport reports a disconnect); the input then says 'error' and opens the path again with a capped
 * backoff until the adapter is back. No jitter: one device reopening one local path has no herd to spread.
 */
import { EventEmitter } from 'node:events'
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
}

export class SerialInput extends EventEmitter implements Input {
  readonly name: string
  readonly #o: Required<SerialInputOptions>
  readonly #protocol: SerialProtocol
  readonly #stats: SerialInputStats = { ...emptyInputStats(), noMatch: 0 }
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

  constructor (opts: SerialInputOptions) {
    super()
    this.#o = withDefaults({ debounceMs: 1500, backoff: { baseMs: 250, capMs: 5000 }, now: Date.now }, opts)
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
      // Never port.set(): DTR/RTS ioctls fail on a PTY (FACTS.md), and these readers ignore them.
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
    this.#port = undefined
    this.#protocol.closed()
    const detail = err?.message ?? 'port closed'
    this.#o.log.warn({ input: this.name, path: this.#o.path, err: detail }, 'serial port lost; reopening')
    this.#setState('error', detail)
    this.#retry()
  }

  #retry (): void {
    const { baseMs, capMs } = this.#o.backoff
    const delay = Math.min(capMs, baseMs * 2 ** Math.min(this.#attempt++, 20))
    clearTimeout(this.#retryTimer)
    this.#retryTimer = setTimeout(() => { void this.#open() }, delay)
  }
}
