/**
 * The real gateway as a child process, for tests: the launcher lives with the fault suite
 * (sim/faults/gateway-process.ts), which kills and restarts it; one-shot CLI commands run from here.
 */
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export { GatewayProcess, startGatewayProcess, writeGatewayConfig, type GatewayProcessOptions, type LogLine } from '../../sim/faults/gateway-process.js'

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
