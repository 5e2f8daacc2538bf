/**
 * A cluster node (`punchline gateway --cluster`) as a child process, for tests and the fault suite
 * (test/helpers/cluster-node-process.ts gives it to tests): its config file written
 * into a temp dir, its JSON log lines kept, its last counts (the node logs them every
 * `cluster.statsSeconds`) at hand, and a kill -9 that leaves nothing to clean up.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { punchlineBin } from '../sim/hardware-mode/device-child.js'
import { waitUntil } from '../sim/hardware-mode/bounded-wait.js'
import type { Teardown } from './nats-cluster.js'

export interface NodeCountsLine { acked: number, unacked: number, delivered: number, punchesDelivered: number, failed: number, leaseLost: number }

export class ClusterNodeProcess {
  readonly logs: Array<{ level: number, msg: string, [k: string]: unknown }> = []
  counts: NodeCountsLine = { acked: 0, unacked: 0, delivered: 0, punchesDelivered: 0, failed: 0, leaseLost: 0 }
  stderr = ''
  /** where the node serves /metrics, once it said so */
  metricsPort = 0
  readonly child: ChildProcess

  constructor (readonly nodeId: string, configFile: string) {
    this.child = spawn(process.execPath, [punchlineBin(), 'gateway', '--cluster', '--config', configFile],
      { env: { ...process.env, PUNCHLINE_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] })
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000) })
    createInterface({ input: this.child.stdout! }).on('line', line => {
      let entry
      try { entry = JSON.parse(line) } catch { return }
      this.logs.push(entry)
      if (this.logs.length > 2000) this.logs.shift()
      if (entry.counts !== undefined) this.counts = entry.counts
      if (entry.msg === 'metrics listening') this.metricsPort = entry.port
    })
  }

  get alive (): boolean { return this.child.exitCode === null && this.child.signalCode === null }

  /** Resolves once the node has subscribed to the device batches. */
  async ready (timeoutMs = 30_000): Promise<void> {
    const subscribed = await waitUntil(() => {
      if (!this.alive) throw new Error(`node ${this.nodeId} exited: ${this.stderr}`)
      return this.logs.some(l => l.msg === 'taking device batches')
    }, { timeoutMs })
    if (!subscribed) throw new Error(`timed out after ${timeoutMs} ms waiting for node ${this.nodeId} to subscribe`)
  }

  /** the node's Prometheus text */
  async metrics (): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`)
    if (res.status !== 200) throw new Error(`node ${this.nodeId}: GET /metrics answered ${res.status}`)
    return await res.text()
  }

  kill9 (): void { this.child.kill('SIGKILL') }

  /** SIGTERM, then SIGKILL if it has not exited within 15 s; the exit code (null when killed) */
  async stop (): Promise<number | null> {
    if (!this.alive) return this.child.exitCode
    const exited = new Promise<number | null>(resolve => this.child.once('exit', code => resolve(code)))
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000)
    const code = await exited
    clearTimeout(timer)
    return code
  }
}

/** Writes the node's config into `dir` and starts it; stopped at teardown. */
export function startClusterNode (t: Teardown, dir: string, nodeId: string, config: Record<string, unknown>): ClusterNodeProcess {
  const file = join(dir, `${nodeId}.json`)
  const cluster = { ...(config.cluster as Record<string, unknown>), nodeId }
  writeFileSync(file, JSON.stringify({ ...config, cluster }))
  const node = new ClusterNodeProcess(nodeId, file)
  // A run that dies without its teardown (Ctrl-C on the fault suite) must not leave nodes behind.
  const killOnExit = (): void => { node.kill9() }
  process.once('exit', killOnExit)
  t.teardown(async () => {
    process.off('exit', killOnExit)
    await node.stop()
  })
  return node
}
