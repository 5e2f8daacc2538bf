/**
 * Runs the real gateway as a child process (`node dist/bin/punchline.js gateway`), on port 0 or on ports
 * given, and reads the ports it bound from its "gateway ready" log line. What a supervisor or operator
 * would run, and what the fault suite kills with SIGKILL. The tests use it too (test/helpers/gateway-process.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { punchlineBin } from '../sim/hardware-mode/device-child.js'
import { localApiToken } from '../gateway/http/api-token.js'

export interface GatewayProcessOptions {
  dataDir: string
  upstream?: string
  allowAnonymous?: boolean
  args?: string[]
  env?: NodeJS.ProcessEnv
  /** options for node itself, before the script (`--expose-gc`, `--import`) */
  nodeArgs?: string[]
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
  /** 0 when the gateway has no plain listener (mqtt.plain false) */
  mqttPort = 0
  /** 0 when the gateway has no mqtts listener */
  mqttsPort = 0
  httpPort = 0
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>

  readonly #dataDir: string
  readonly #env: NodeJS.ProcessEnv

  constructor (child: ChildProcess, dataDir: string, env: NodeJS.ProcessEnv) {
    this.child = child
    this.#dataDir = dataDir
    this.#env = env
    this.exited = new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal })))
  }

  get mqttUrl (): string { return `mqtt://127.0.0.1:${this.mqttPort}` }
  get mqttsUrl (): string { return `mqtts://127.0.0.1:${this.mqttsPort}` }
  get httpUrl (): string { return `http://127.0.0.1:${this.httpPort}` }
  /** The HTTP API's bearer token: the one given in the environment, else the one the gateway generated. */
  get apiToken (): string {
    return localApiToken(this.#dataDir, this.#env)
  }

  /** GET on the HTTP API with the token, as an operator's script would. */
  async api (path: string, init: RequestInit = {}): Promise<Response> {
    return await fetch(this.httpUrl + path, { ...init, headers: { ...init.headers as Record<string, string>, Authorization: `Bearer ${this.apiToken}` } })
  }

  get alive (): boolean { return this.child.exitCode === null && this.child.signalCode === null }

  kill (signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.alive) this.child.kill(signal)
  }

  async stop (): Promise<void> {
    this.kill('SIGTERM')
    await this.exited
  }
}

/**
 * How long a start may take before it counts as failed. A start takes about 1 s of CPU; on the shared
 * 2-core machine under several test runs at once it took more than 20 s (the old limit) and failed
 * tests that had nothing wrong. A start that fails for a reason exits and says so at once.
 */
const READY_TIMEOUT_MS = 60_000

export async function startGatewayProcess (o: GatewayProcessOptions): Promise<GatewayProcess> {
  const args = [...(o.nodeArgs ?? []), punchlineBin(), 'gateway', '--data', o.dataDir, '--mqtt-port', String(o.mqttPort ?? 0), '--http-port', String(o.httpPort ?? 0)]
  if (o.upstream !== undefined) args.push('--upstream', o.upstream)
  if (o.allowAnonymous === true) args.push('--allow-anonymous')
  args.push(...(o.args ?? []))
  const env = { ...process.env, PUNCHLINE_LOG_LEVEL: 'info', ...o.env }
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const gw = new GatewayProcess(child, o.dataDir, env)
  const stderr: string[] = []
  child.stderr!.on('data', (c: Buffer) => stderr.push(c.toString()))
  const lines = createInterface({ input: child.stdout! })
  await new Promise<void>((resolve, reject) => {
    // A start given up on is killed: a child left running held its test process open until tap's timeout.
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`gateway did not become ready in ${READY_TIMEOUT_MS / 1000} s: ` + stderr.join('')))
    }, READY_TIMEOUT_MS)
    lines.on('line', (line) => {
      let entry: LogLine
      try { entry = JSON.parse(line) as LogLine } catch { return }
      gw.logs.push(entry)
      if (entry.msg === 'gateway ready') {
        gw.mqttPort = (entry.mqttPort as number | undefined) ?? 0
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

/** Writes a gateway config file (docs/OPERATIONS.md, "Configure") into `dir` and returns its path. */
export function writeGatewayConfig (dir: string, settings: Record<string, unknown>): string {
  const file = join(dir, 'gateway.json')
  writeFileSync(file, JSON.stringify(settings, null, 2))
  return file
}

/** From dist/faults/ when built, from faults/ (the tests' source) otherwise. */
const GC_PRESSURE = ['./gc-pressure.js', '../dist/faults/gc-pressure.js']

/**
 * Node options that make a gateway child collect garbage in full every 100 ms (gc-pressure.ts), so a
 * deadline that only holds until a major GC fails within seconds instead of hours.
 */
export function gcPressureArgs (): string[] {
  for (const rel of GC_PRESSURE) {
    const file = fileURLToPath(new URL(rel, import.meta.url))
    if (existsSync(file)) return ['--expose-gc', '--import', pathToFileURL(file).href]
  }
  throw new Error('gc-pressure.js is not built: run npm run build')
}
