/**
 * `punchline console --cluster` as a child process for tests: its config file written into `dir`, its
 * own data directory, its JSON log lines kept, and its address once it listens. Stopped at teardown.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Test } from 'tap'
import { CLI } from './gateway-process.js'
import { until } from './wait.js'

export class ClusterConsoleProcess {
  readonly logs: Array<{ level: number, msg: string, [k: string]: unknown }> = []
  stderr = ''
  port = 0
  readonly child: ChildProcess
  readonly exited: Promise<number | null>

  constructor (readonly configFile: string, readonly dataDir: string) {
    this.child = spawn(process.execPath, [CLI, 'console', '--cluster', '--config', configFile, '--data', dataDir, '--http-port', '0'],
      { env: { ...process.env, PUNCHLINE_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] })
    this.exited = new Promise(resolve => this.child.once('exit', code => resolve(code)))
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000) })
    createInterface({ input: this.child.stdout! }).on('line', line => {
      let entry
      try { entry = JSON.parse(line) } catch { return }
      this.logs.push(entry)
      if (typeof entry.port === 'number' && /^cluster console:/.test(entry.msg)) this.port = entry.port
    })
  }

  get httpUrl (): string { return `http://127.0.0.1:${this.port}` }
  get alive (): boolean { return this.child.exitCode === null && this.child.signalCode === null }

  async ready (): Promise<void> {
    await until(() => {
      if (!this.alive) throw new Error(`the console exited: ${this.stderr}`)
      return this.port !== 0
    }, () => `the console to listen (stderr: ${this.stderr})`, 20_000)
  }

  async stop (): Promise<number | null> {
    if (!this.alive) return this.child.exitCode
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000)
    const code = await this.exited
    clearTimeout(timer)
    return code
  }
}

/** Writes `config` to `dir`/console.json and starts the console on `dataDir`; stopped at teardown. */
export function startClusterConsole (t: Test, dir: string, dataDir: string, config: Record<string, unknown>): ClusterConsoleProcess {
  const file = join(dir, 'console.json')
  writeFileSync(file, JSON.stringify(config))
  const c = new ClusterConsoleProcess(file, dataDir)
  t.teardown(async () => { await c.stop() })
  return c
}
