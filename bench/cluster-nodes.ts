/**
 * Cluster nodes as the cluster bench runs them: `punchline gateway --cluster` child processes, each with its
 * own config file and `cluster.nodeId`, on the same broker, store and shared-subscription group, ready
 * once each has subscribed to the device batches. Their errors are part of a result: lines at level error
 * and above go to the bench's stderr.
 */
import type { ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { punchlineBin } from '../sim/hardware-mode/device-child.js'
import { cpuSeconds, spawnTracked, stopChild, waitForLine } from './children.js'

export interface NodeSetup {
  /** where the config files go */
  dir: string
  brokerUrl: string
  /** libpq URL of the shared store */
  postgres: string
  /** the webhook the nodes forward to; none: they store and ack only */
  upstream?: string
}

export interface BenchNodes {
  children: ChildProcess[]
  /** CPU seconds of every node so far (utime + stime) */
  cpuSeconds: () => number
  stop: () => Promise<void>
}

const ERROR_LEVEL = 50

/** Starts `n` nodes at once and resolves when every one takes device batches; on a failure stops them all. */
export async function startNodes (n: number, s: NodeSetup): Promise<BenchNodes> {
  const children: ChildProcess[] = []
  const stop = async (): Promise<void> => { await Promise.all(children.map(async c => await stopChild(c, 15_000))) }
  try {
    for (let i = 1; i <= n; i++) {
      const file = join(s.dir, `node-${i}.json`)
      writeFileSync(file, JSON.stringify({
        gatewayId: 'bench-cluster',
        http: { port: 0 },
        ...(s.upstream === undefined ? {} : { upstream: { url: s.upstream } }),
        // pollMs 50: an idle worker sees a backlog within 50 ms, so the drain's clock does not include a poll.
        cluster: { nodeId: `bench-${i}`, broker: { url: s.brokerUrl }, postgres: s.postgres, pollMs: 50, statsSeconds: 3600 }
      }))
      children.push(spawnTracked(process.execPath, [punchlineBin(), 'gateway', '--cluster', '--config', file],
        { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PUNCHLINE_LOG_LEVEL: 'info' } }))
    }
    await Promise.all(children.map(async (c, i) => await waitForLine(c, `cluster node ${i + 1}`, 60_000,
      line => (JSON.parse(line) as { msg?: string }).msg === 'taking device batches' ? true : undefined)))
  } catch (err) {
    await stop()
    throw err
  }
  for (const c of children) {
    // Keep reading, so a node never blocks on a full pipe, and pass its errors on.
    createInterface({ input: c.stdout! }).on('line', (line) => {
      try {
        if (((JSON.parse(line) as { level?: number }).level ?? 0) >= ERROR_LEVEL) process.stderr.write(`cluster node: ${line}\n`)
      } catch {}
    })
  }
  return { children, cpuSeconds: () => children.reduce((sum, c) => sum + cpuSeconds(c.pid), 0), stop }
}
