/**
 * Runs the real gateway as a child process (`node dist/bin/punchline.js gateway`), on port 0, and reads
 * the ports it bound from its "gateway ready" log line. What a supervisor or operator would run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

export const CLI = fileURLToPath(new URL('../../dist/bin/punchline.js', import.meta.url))

export interface GatewayProcessOptions {
  dataDir: string
  upstream?: string
  allowAnonymous?: boolean
  args?: string[]
  env?: NodeJS.ProcessEnv
  /** fixed ports, for a restart that devices must find again */
  mqttPort?: number
  httpPort?: number
}

export interface LogLine {
  level: number
  msg: string
  [k: string]: unknown
}

export class GatewayProcess {
  readonly child: ChildProcess
  readonly logs: LogLine[] = []
  mqttPort = 0
  /** 0 when the gateway has no mqtts listener */
  mqttsPort = 0
  httpPort = 0
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>

  constructor (child: ChildProcess) {
    this.child = child
    this.exited = new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal })))
  }

  get mqttUrl (): string { return `mqtt://127.0.0.1:${this.mqttPort}` }
  get mqttsUrl (): string { return `mqtts://127.0.0.1:${this.mqttsPort}` }
  get httpUrl (): string { return `http://127.0.0.1:${this.httpPort}` }

  kill (signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
  }

  async stop (): Promise<void> {
    this.kill('SIGTERM')
    await this.exited
  }
}

export async function startGatewayProcess (o: GatewayProcessOptions): Promise<GatewayProcess> {
  const args = [CLI, 'gateway', '--data', o.dataDir, '--mqtt-port', String(o.mqttPort ?? 0), '--http-port', String(o.httpPort ?? 0)]
  if (o.upstream !== undefined) args.push('--upstream', o.upstream)
  if (o.allowAnonymous === true) args.push('--allow-anonymous')
  args.push(...(o.args ?? []))
  const child = spawn(process.execPath, args, {
    env: { ...process.env, PUNCHLINE_LOG_LEVEL: 'info', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const gw = new GatewayProcess(child)
  const stderr: string[] = []
  child.stderr!.on('data', (c: Buffer) => stderr.push(c.toString()))
  const lines = createInterface({ input: child.stdout! })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('gateway did not become ready in 20 s: ' + stderr.join(''))), 20_000)
    lines.on('line', (line) => {
      let entry: LogLine
      try { entry = JSON.parse(line) as LogLine } catch { return }
      gw.logs.push(entry)
      if (entry.msg === 'gateway ready') {
        gw.mqttPort = entry.mqttPort as number
        gw.mqttsPort = (entry.mqttsPort as number | undefined) ?? 0
        gw.httpPort = entry.httpPort as number
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`gateway exited with ${code} before ready: ${stderr.join('')}`)) })
  })
  return gw
}

/** Runs a one-shot CLI command (devices add, deadletters list...) and returns its output. */
export function cli (args: string[]): { status: number | null, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** The same, without blocking this process's event loop (its devices keep publishing meanwhile). */
export async function cliAsync (args: string[]): Promise<{ status: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString() })
  const status = await new Promise<number | null>(resolve => child.once('close', code => resolve(code)))
  return { status, stdout, stderr }
}
