/**
 * The real gateway as a child process, for tests: the launcher lives with the fault suite
 * (faults/gateway-process.ts), which kills and restarts it; one-shot CLI commands run from here.
 */
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'

export { GatewayProcess, startGatewayProcess, writeGatewayConfig, type GatewayProcessOptions, type LogLine } from '../../faults/gateway-process.js'

export const CLI = fileURLToPath(new URL('../../dist/bin/punchline.js', import.meta.url))

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

export interface GatewayOutcome {
  /** the exit status, or 'ready' when it started (it is stopped again at once) */
  result: number | 'ready'
  logs: Array<{ level: number, msg: string, [k: string]: unknown }>
  stderr: string
}

/** Runs `punchline gateway` on `dir` until it exits (a refused start) or says it is ready (then stops it again). */
export async function runGatewayOnce (dir: string): Promise<GatewayOutcome> {
  const child = spawn(process.execPath, [CLI, 'gateway', '--data', dir, '--mqtt-port', '0', '--http-port', '0', '--allow-anonymous'],
    { env: { ...process.env, PUNCHLINE_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] })
  const logs: GatewayOutcome['logs'] = []
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const exited = new Promise<number>(resolve => child.once('exit', code => resolve(code ?? -1)))
  const ready = new Promise<'ready'>(resolve => {
    createInterface({ input: child.stdout }).on('line', line => {
      try { logs.push(JSON.parse(line)) } catch { return }
      if (logs.at(-1)!.msg === 'gateway ready') resolve('ready')
    })
  })
  const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const result = await Promise.race([exited, ready])
  clearTimeout(timeout)
  if (result === 'ready') {
    child.kill('SIGTERM')
    await exited
  }
  return { result, logs, stderr }
}
