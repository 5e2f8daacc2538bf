/**
 * A pair of linked pseudo-terminals made by socat: what one end writes the other reads, like a USB serial
 * adapter with the reader on the far side. Killing socat is unplugging the adapter: the runtime's port
 * sees a disconnect, and starting a new pair on the same link paths is plugging it back in.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

export interface PtyPairOptions {
  /** link names inside `dir` (default "a" for the runtime's end, "b" for the fake device's) */
  names?: [string, string]
  /** how long to wait for socat to be ready */
  readyTimeoutMs?: number
}

export class PtyPair {
  /** the runtime's end */
  readonly a: string
  /** the fake device's end */
  readonly b: string
  readonly #child: ChildProcess
  readonly #exited: Promise<void>

  private constructor (child: ChildProcess, a: string, b: string) {
    this.#child = child
    this.a = a
    this.b = b
    this.#exited = new Promise(resolve => {
      if (child.exitCode !== null || child.signalCode !== null) resolve()
      else child.once('exit', () => resolve())
    })
  }

  get running (): boolean { return this.#child.exitCode === null && this.#child.signalCode === null }

  /**
   * Starts socat and resolves once it has both ends and is moving data, which socat -d -d announces on
   * stderr with "starting data transfer loop" (docs/DESIGN-NOTES.md, "socat: starting data transfer loop").
   */
  static async start (dir: string, opts: PtyPairOptions = {}): Promise<PtyPair> {
    const [na, nb] = opts.names ?? ['a', 'b']
    const a = join(dir, na)
    const b = join(dir, nb)
    const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] })
    const pair = new PtyPair(child, a, b)
    let stderr = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`socat not ready after ${opts.readyTimeoutMs ?? 10_000} ms: ${stderr}`)), opts.readyTimeoutMs ?? 10_000)
      const done = (): void => {
        clearTimeout(timer)
        child.stderr?.removeAllListeners('data')
        child.removeListener('exit', onExit)
        child.removeListener('error', fail)
      }
      function fail (err: Error): void {
        done()
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
        reject((err as NodeJS.ErrnoException).code === 'ENOENT' ? new Error('socat not found: install it (apt-get install socat)') : err)
      }
      function onExit (code: number | null): void { fail(new Error(`socat exited (${code ?? 'signal'}) before it was ready: ${stderr}`)) }
      child.once('error', fail)
      child.once('exit', onExit)
      child.stderr?.setEncoding('utf8')
      child.stderr?.on('data', (d: string) => {
        stderr += d
        if (stderr.includes('starting data transfer loop')) { done(); resolve() }
      })
    })
    // socat keeps logging at -d -d; drain it so a full pipe never stalls it.
    child.stderr?.resume()
    return pair
  }

  /** Stops socat (it removes its links on SIGTERM) and waits until it has exited. */
  async close (): Promise<void> {
    if (this.running) this.#child.kill('SIGTERM')
    await this.#exited
  }
}
