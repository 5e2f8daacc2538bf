/**
 * The live progress line of a simulation run. On a terminal it is one line redrawn in place ('\r' and
 * an ANSI clear-line), at most ten times a second whatever the step rate, sized to the terminal. Where
 * nothing redraws (CI, a pipe, a file) it prints a plain line every few seconds instead, so a log shows
 * the run moving without a line per step.
 */
import type { SimSample } from './types.js'
import { compact, count, siteDateTime } from './format.js'

export interface ProgressOptions {
  /** virtual start and end of the run, ms since 1970: the bar is the share of this span done */
  startMs: number
  endMs: number
  /** site-local UTC offset for the virtual clock, minutes */
  tzMinutes: number
  /** the fleet size, shown as "conn 980/1000"; only the connected count without it */
  devices?: number
  write?: (text: string) => void
  isTTY?: boolean
  /** real ms, monotonic; injected so tests decide when time passes */
  now?: () => number
  /** terminal width now (read at every draw: terminals get resized); 100 when unknown */
  columns?: () => number | undefined
  /** real ms between drawings on a terminal */
  ttyEveryMs?: number
  /** real ms between plain lines elsewhere */
  plainEveryMs?: number
}

/** A sample as the rates need it: where the run stood at a real moment. */
interface Mark { realMs: number, at: number, generated: number, delivered: number }

/** Rates are measured over this much real time, so they neither jump at every draw nor lag for long. */
const RATE_WINDOW_MS = 2000
const CLEAR_LINE = '\r\x1b[2K'
const BAR_MIN = 10
const BAR_MAX = 30
const SEP = '  '

interface Part {
  text: string
  /** lower goes first when the terminal is too narrow */
  keep: number
  /** cut to no shorter than this many characters before being dropped */
  shrinkTo?: number
}

export class ProgressLine {
  readonly #o: ProgressOptions
  readonly #write: (text: string) => void
  readonly #isTTY: boolean
  readonly #now: () => number
  readonly #columns: () => number | undefined
  #last: SimSample | undefined
  #drawnSample: SimSample | undefined
  #lastDrawAt = -Infinity
  /** where the run stood at recent drawings, oldest first */
  readonly #marks: Mark[] = []
  /** a terminal line is drawn and has no newline yet */
  #open = false

  constructor (o: ProgressOptions) {
    this.#o = o
    this.#write = o.write ?? ((s) => { process.stdout.write(s) })
    this.#isTTY = o.isTTY ?? process.stdout.isTTY === true
    this.#now = o.now ?? (() => performance.now())
    this.#columns = o.columns ?? (() => process.stdout.columns)
  }

  /** Called as often as the engine likes; draws only when the rate limit allows. */
  update (sample: SimSample): void {
    this.#last = sample
    const now = this.#now()
    const every = this.#isTTY ? this.#o.ttyEveryMs ?? 100 : this.#o.plainEveryMs ?? 10_000
    if (now - this.#lastDrawAt < every) return
    this.#lastDrawAt = now
    this.#draw(sample)
  }

  /**
   * A line of the run's own output (a fault starting, a warning). Written straight over a terminal's
   * progress line it would be glued to the bar's remains and then overdrawn by the next redraw: the bar
   * is cleared, the line printed, and the bar redrawn under it.
   */
  print (line: string): void {
    if (!this.#isTTY) { this.#write(line + '\n'); return }
    this.#write(CLEAR_LINE + line + '\n')
    this.#open = false
    if (this.#drawnSample !== undefined) this.#draw(this.#drawnSample)
  }

  /** Draws the last sample if it was not drawn, and leaves the cursor on a fresh line. */
  done (): void {
    if (this.#last !== undefined && this.#last !== this.#drawnSample) this.#draw(this.#last)
    if (this.#open) this.#write('\n')
    this.#open = false
  }

  #draw (s: SimSample): void {
    this.#drawnSample = s
    const parts = this.#parts(s)
    if (this.#isTTY) {
      this.#write(CLEAR_LINE + fit(parts, this.#fraction(s), this.#columns() ?? 100))
      this.#open = true
    } else {
      this.#write(`sim ${parts.map(p => p.text).join(SEP)}\n`)
    }
  }

  #fraction (s: SimSample): number {
    const span = this.#o.endMs - this.#o.startMs
    if (span <= 0) return 1
    return Math.min(1, Math.max(0, (s.at - this.#o.startMs) / span))
  }

  #parts (s: SimSample): Part[] {
    const mark: Mark = { realMs: s.realMs, at: s.at, generated: s.generated, delivered: s.delivered }
    const ref = this.#reference(mark)
    const realS = (mark.realMs - ref.realMs) / 1000
    const rate = (d: number): string => realS > 0 ? `${compact(d / realS)}/s` : '–/s'
    const speed = realS > 0 ? `${compact((mark.at - ref.at) / 3_600_000 / realS)} vh/s` : '– vh/s'
    const parts: Part[] = [
      { text: `${String(Math.floor(this.#fraction(s) * 100)).padStart(3)}%`, keep: 9 },
      { text: siteDateTime(s.at, this.#o.tzMinutes), keep: 8 },
      { text: speed, keep: 3 },
      { text: `gen ${rate(mark.generated - ref.generated)}`, keep: 4 },
      { text: `dlv ${rate(mark.delivered - ref.delivered)}`, keep: 5 },
      { text: `backlog dev ${compact(s.pendingOnDevices)} gw ${compact(s.pendingAtGateway)}`, keep: 7 },
      { text: `conn ${count(s.connected)}${this.#o.devices === undefined ? '' : `/${count(this.#o.devices)}`}`, keep: 2 }
    ]
    // Several sites down at once is one kind shown once.
    const faults = [...new Set(s.faults)]
    if (faults.length > 0) parts.push({ text: `faults: ${faults.join(', ')}`, keep: 6, shrinkTo: 16 })
    return parts
  }

  /**
   * The mark to measure rates from: the newest drawing at least the rate window ago, else the oldest
   * drawing, else the run's start (the average since the start is a fair first guess).
   */
  #reference (mark: Mark): Mark {
    const start: Mark = { realMs: 0, at: this.#o.startMs, generated: 0, delivered: 0 }
    while (this.#marks.length > 1 && mark.realMs - this.#marks[1].realMs >= RATE_WINDOW_MS) this.#marks.shift()
    const ref = this.#marks[0] ?? start
    this.#marks.push(mark)
    return ref
  }
}

/**
 * One terminal line: the bar and as many parts as fit, dropping the least wanted first, one column short
 * of the width (writing the last column makes some terminals wrap, and the next '\r' then redraws on a
 * new line every time).
 */
function fit (parts: Part[], fraction: number, columns: number): string {
  const room = Math.max(1, columns - 1)
  const shown = parts.map(p => ({ ...p }))
  const textWidth = (): number => shown.reduce((w, p) => w + [...p.text].length, 0) + SEP.length * (shown.length - 1)
  const over = (): number => textWidth() + BAR_MIN + 3 - room
  while (shown.length > 2 && over() > 0) {
    const least = shown.reduce((a, b) => (b.keep < a.keep ? b : a))
    const chars = [...least.text]
    // A long list of faults is cut short rather than hidden: the first fault named beats none.
    if (least.shrinkTo !== undefined && chars.length - over() >= least.shrinkTo) {
      least.text = chars.slice(0, chars.length - over() - 1).join('') + '…'
      break
    }
    shown.splice(shown.indexOf(least), 1)
  }
  const text = shown.map(p => p.text).join(SEP)
  const barWidth = Math.min(BAR_MAX, room - textWidth() - 3)
  const line = barWidth >= BAR_MIN ? `${bar(fraction, barWidth)} ${text}` : text
  const chars = [...line]
  return chars.length <= room ? line : chars.slice(0, room - 1).join('') + '…'
}

function bar (fraction: number, width: number): string {
  const done = Math.round(fraction * width)
  return `[${'█'.repeat(done)}${'░'.repeat(width - done)}]`
}
