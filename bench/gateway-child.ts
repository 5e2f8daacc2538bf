/**
 * The gateway as the bench runs it: `punchline gateway --allow-anonymous` in a child process on ports
 * chosen by the system, logging at info (on the data path that is rejected punches only) so the bench can
 * read the ports from its "gateway ready" line. Its errors under load are part of a result: lines at level
 * error and above go to the bench's stderr.
 */
import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { punchlineBin } from '../sim/hardware-mode/device-child.js'
import { spawnTracked, stopChild, waitForLine } from './children.js'
import { localApiToken } from '../gateway/http/api-token.js'

/** Node options that write a `--cpu-prof` profile of the child into `dir`; none without a directory. */
export function cpuProfileArgs (dir: string | undefined): string[] | undefined {
  return dir === undefined ? undefined : ['--cpu-prof', `--cpu-prof-dir=${dir}`]
}

export interface BenchGateway {
  url: string
  httpPort: number
  /** `Bearer <the site's API token>`: /metrics and /api/v1 as an admin */
  authorization: string
  child: ChildProcess
  /** mean rows per group-commit transaction so far, from the gateway's own /metrics */
  rowsPerCommit: () => Promise<number>
  /** one sample of the gateway's /metrics: `value('punchline_commit_rows_count')` */
  metrics: () => Promise<(name: string) => number>
  stop: () => Promise<void>
}

export interface GatewayStart {
  dataDir: string
  /** --upstream URL; none keeps the forwarder idle so it does not compete for the disk */
  upstream?: string
  /** --config FILE */
  config?: string
  /** node options for the child, e.g. cpuProfileArgs(DIR) */
  nodeArgs?: string[]
}

/** pino's level of `error` */
const ERROR_LEVEL = 50

export async function startGateway (o: GatewayStart): Promise<BenchGateway> {
  const args = [...o.nodeArgs ?? [], punchlineBin(), 'gateway', '--data', o.dataDir, '--mqtt-port', '0', '--http-port', '0', '--allow-anonymous']
  if (o.upstream !== undefined) args.push('--upstream', o.upstream)
  if (o.config !== undefined) args.push('--config', o.config)
  const env = { ...process.env, PUNCHLINE_LOG_LEVEL: 'info' }
  const child = spawnTracked(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env })
  let ports: { mqttPort: number, httpPort: number }
  try {
    ports = await waitForLine(child, 'gateway', 20_000, (line) => {
      const e = JSON.parse(line) as { msg?: string, mqttPort?: number, httpPort?: number }
      return e.msg === 'gateway ready' && e.mqttPort !== undefined && e.httpPort !== undefined ? { mqttPort: e.mqttPort, httpPort: e.httpPort } : undefined
    })
  } catch (err) {
    await stopChild(child)
    throw err
  }
  // Keep reading its stdout, so a chatty gateway never blocks on a full pipe, and pass its errors on.
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      if (((JSON.parse(line) as { level?: number }).level ?? 0) >= ERROR_LEVEL) process.stderr.write(`gateway: ${line}\n`)
    } catch {}
  })
  // The token too: a bench config may put /metrics behind it (http.metricsPublic).
  const authorization = `Bearer ${localApiToken(o.dataDir, env)}`
  const metrics = async (): Promise<(name: string) => number> => {
    const text = await (await fetch(`http://127.0.0.1:${ports.httpPort}/metrics`, { headers: { Authorization: authorization }, signal: AbortSignal.timeout(10_000) })).text()
    return (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1])
  }
  return {
    url: `mqtt://127.0.0.1:${ports.mqttPort}`,
    httpPort: ports.httpPort,
    authorization,
    child,
    metrics,
    rowsPerCommit: async () => {
      const value = await metrics()
      const count = value('punchline_commit_rows_count')
      return count > 0 ? value('punchline_commit_rows_sum') / count : NaN
    },
    stop: async () => await stopChild(child, 10_000)
  }
}
