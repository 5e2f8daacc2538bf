/**
 * The device under test as a child process: the real `punchline device --config FILE --json`, the same
 * binary a terminal runs. Its standard output gives one JSON outcome per read; its log (standard error,
 * at debug level) gives what it threw away on the line, which the summary sets beside the faults sent.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync, type WriteStream } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'

/** From sim/hardware-mode/ when run from source, from dist/sim/hardware-mode/ when built. */
const CANDIDATES = ['../../bin/punchline.js', '../../dist/bin/punchline.js']

export function punchlineBin (): string {
  for (const rel of CANDIDATES) {
    const file = fileURLToPath(new URL(rel, import.meta.url))
    if (existsSync(file)) return file
  }
  throw new Error(`the punchline command is not built: run npm run build (looked for ${CANDIDATES.map(c => fileURLToPath(new URL(c, import.meta.url))).join(' and ')})`)
}

export interface DeviceCounters {
  accepted: number
  duplicateReads: number
  refused: number
  /** frames or sentences whose checksum (or parity) failed, per input */
  badChecksum: Record<string, number>
  noiseBytes: Record<string, number>
  /** the port came back after an unplug */
  reconnects: Record<string, number>
  /** module faults: unanswered commands, error codes (the R307) */
  readerFaults: number
}

/** pino's JSON line; level 20 is debug, 30 info */
interface LogLine { level?: number, msg?: string, input?: string, bytes?: number }

const TAIL_LINES = 30

export class DeviceChild {
  readonly child: ChildProcess
  readonly counters: DeviceCounters = { accepted: 0, duplicateReads: 0, refused: 0, badChecksum: {}, noiseBytes: {}, reconnects: {}, readerFaults: 0 }
  /** the refusals' messages, for the summary */
  readonly refusals: string[] = []
  running = false
  readonly #tail: string[] = []
  readonly exited: Promise<number | null>
  readonly #log?: WriteStream

  /** `logFile`: where the device's own log goes, for --keep */
  constructor (configFile: string, logFile?: string) {
    if (logFile !== undefined) this.#log = createWriteStream(logFile)
    this.child = spawn(process.execPath, [punchlineBin(), 'device', '--config', configFile, '--json'], {
      env: { ...process.env, PUNCHLINE_LOG_LEVEL: 'debug' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    this.exited = new Promise(resolve => {
      // 'close', not 'exit': the output is then read to its end, and the counters are final.
      this.child.once('close', (code, signal) => { this.#log?.end(); resolve(code ?? (signal === null ? null : 128)) })
      this.child.once('error', (err) => { this.#keep(`spawn failed: ${err.message}`); resolve(null) })
    })
    createInterface({ input: this.child.stdout! }).on('line', line => this.#stdout(line))
    createInterface({ input: this.child.stderr! }).on('line', line => this.#stderr(line))
  }

  get pid (): number | undefined { return this.child.pid }
  get alive (): boolean { return this.child.exitCode === null && this.child.signalCode === null }
  /** the last lines the device printed or logged, for an error message */
  get tail (): string { return this.#tail.join('\n') }

  /** SIGTERM (the device stops its inputs and uplink cleanly), SIGKILL if it is not gone in `graceMs`. */
  async stop (graceMs = 10_000): Promise<number | null> {
    if (this.alive) this.child.kill('SIGTERM')
    const timer = setTimeout(() => { if (this.alive) this.child.kill('SIGKILL') }, graceMs)
    const code = await this.exited
    clearTimeout(timer)
    return code
  }

  #keep (line: string): void {
    this.#tail.push(line)
    if (this.#tail.length > TAIL_LINES) this.#tail.shift()
  }

  #stdout (line: string): void {
    if (line.startsWith('device ') && line.includes(' running')) this.running = true
    if (!line.startsWith('{')) { this.#keep(line); return }
    let e: { outcome?: { outcome?: string, message?: string } }
    try { e = JSON.parse(line) as typeof e } catch { this.#keep(line); return }
    const c = this.counters
    switch (e.outcome?.outcome) {
      case 'accepted': c.accepted++; break
      case 'duplicate-read': c.duplicateReads++; break
      case 'refused': c.refused++; this.refusals.push(e.outcome.message ?? ''); break
    }
  }

  #stderr (line: string): void {
    this.#log?.write(line + '\n')
    let e: LogLine
    try { e = JSON.parse(line) as LogLine } catch { this.#keep(line); return }
    const c = this.counters
    const input = e.input ?? '?'
    switch (e.msg) {
      case 'frame failed its checksum': c.badChecksum[input] = (c.badChecksum[input] ?? 0) + 1; break
      case 'discarded serial noise': c.noiseBytes[input] = (c.noiseBytes[input] ?? 0) + (e.bytes ?? 0); break
      case 'serial port back': c.reconnects[input] = (c.reconnects[input] ?? 0) + 1; break
      case 'reader fault': c.readerFaults++; break
      default: if ((e.level ?? 30) >= 30) this.#keep(line)
    }
  }
}
