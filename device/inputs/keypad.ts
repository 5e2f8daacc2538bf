/**
 * A keypad as lines of text: a PIN pad that sends "PIN<enter>", a kiosk, or a field engineer typing at
 * `punchline device` to try a terminal without hardware. A line is `EMP [in|out|break-out|break-in]`;
 * anything else is counted as noise and said back in the log, never punched.
 */
import { EventEmitter } from 'node:events'
import { createInterface, type Interface } from 'node:readline'
import type { Readable } from 'node:stream'
import { LIMITS, PUNCH_KINDS, type PunchKind } from '../../shared/punch.js'
import type { Logger } from '../../shared/log.js'
import { emptyInputStats, type Input, type InputState, type InputStats } from './input.js'

export interface KeypadOptions {
  name: string
  stream: Readable
  log: Logger
}

export class KeypadInput extends EventEmitter implements Input {
  readonly name: string
  readonly #stream: Readable
  readonly #log: Logger
  readonly #stats = emptyInputStats()
  #lines?: Interface
  #state: InputState = 'closed'

  constructor (o: KeypadOptions) {
    super()
    this.name = o.name
    this.#stream = o.stream
    this.#log = o.log
  }

  get state (): InputState { return this.#state }

  async start (): Promise<void> {
    this.#lines = createInterface({ input: this.#stream, crlfDelay: Infinity })
    this.#lines.on('line', (line) => this.#onLine(line))
    this.#lines.on('close', () => this.#setState('closed'))
    this.#setState('open')
  }

  async stop (): Promise<void> {
    this.#lines?.close()
    this.#lines = undefined
  }

  stats (): InputStats { return { ...this.#stats } }

  #onLine (line: string): void {
    const words = line.trim().split(/\s+/).filter(w => w !== '')
    if (words.length === 0) return
    const [emp, kind] = words
    if (emp.length > LIMITS.maxEmpLength || words.length > 2 || (kind !== undefined && !(PUNCH_KINDS as readonly string[]).includes(kind))) {
      this.#stats.noiseBytes += Buffer.byteLength(line)
      this.#log.warn({ input: this.name, line: line.slice(0, 80) }, `keypad: not a punch; type EMP [${PUNCH_KINDS.join('|')}]`)
      return
    }
    this.#stats.frames++
    this.#stats.reads++
    this.emit('read', { input: this.name, emp, method: 'pin', kind: kind as PunchKind | undefined })
  }

  #setState (s: InputState): void {
    this.#state = s
    this.emit('state', s)
  }
}
