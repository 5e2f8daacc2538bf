/**
 * The peer a user would otherwise assemble: the Debian `mosquitto` broker with a plain QoS 1 subscriber
 * (subscriber-child.ts), under the same device load as the gateway. Counted two ways: when the last PUBACK
 * reaches the devices, and when the subscriber has every message. Skipped, with the reason, when no
 * mosquitto binary is found (`apt-get install -y mosquitto`; BENCH_MOSQUITTO=/path/to/mosquitto).
 */
import { spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { cpuSeconds, freePort, removeTempDir, spawnTracked, stopChild, tempDir, waitForLine } from './children.js'
import { benchScript } from './paths.js'
import { measuredLoad, type LoadRun, type LoadShape } from './load-run.js'
import { fmt, sleep } from './stats.js'

const SUBSCRIBER = benchScript('subscriber-child.js')

export interface MosquittoRun {
  /** counted on PUBACK; serverCpuSeconds is mosquitto's until then */
  puback: LoadRun
  /** seconds from the first publish until the subscriber had every message */
  deliveredSeconds: number
  deliveredRate: number
  subscriberCpuSeconds: number
}

export type MosquittoOutcome = { runs: MosquittoRun[], binary: string, version: string } | { skipped: string }

/**
 * What "Durable ingest beside a mosquitto peer" (docs/BENCHMARKS.md) is rendered from
 * (bench/mosquitto-render.ts, beside the ingest figures of the same run), saved as docs/bench/mosquitto.json.
 */
export interface MosquittoFigures {
  /** when the figures were measured (ISO 8601) */
  measuredAt: string
  shape: LoadShape
  /** the MQTT.js of the subscriber */
  mqttVersion: string
  outcome: MosquittoOutcome
}

export function findMosquitto (): { binary: string, version: string } | { skipped: string } {
  const asked = process.env.BENCH_MOSQUITTO
  if (asked !== undefined && asked !== '' && !existsSync(asked)) return { skipped: `BENCH_MOSQUITTO=${asked}: no such file` }
  const candidates = asked !== undefined && asked !== ''
    ? [asked]
    : [...(process.env.PATH ?? '').split(':').filter(d => d !== '').map(d => join(d, 'mosquitto')), '/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto']
  const binary = candidates.find(p => existsSync(p))
  if (binary === undefined) return { skipped: 'no mosquitto binary on PATH or in /usr/sbin (install it: apt-get install -y mosquitto)' }
  const r = spawnSync(binary, ['-h'], { encoding: 'utf8', timeout: 5000 })
  const version = /mosquitto version (\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1]
  if (version === undefined) return { skipped: `${binary} -h did not print a version (${r.error?.message ?? `exit ${String(r.status)}`})` }
  return { binary, version }
}

/**
 * No persistence: mosquitto's persistence is a snapshot of its memory written every `autosave_interval`
 * (1800 s by default) and at exit, never before a PUBACK, so turning it on would not change what a PUBACK
 * means nor, between snapshots, the work per message. max_queued_messages 0: the default (1000 per client
 * beyond the 20 in flight) silently drops QoS 1 messages for a subscriber that falls further behind.
 */
function config (port: number): string {
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    'set_tcp_nodelay true',
    'max_queued_messages 0',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    ''
  ].join('\n')
}

async function listening (port: number, timeoutMs: number, exited: () => string | undefined): Promise<void> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>(resolve => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true) })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    const why = exited()
    if (why !== undefined) throw new Error(`mosquitto exited (${why}) before listening`)
    if (performance.now() > deadline) throw new Error(`mosquitto not listening on ${port} within ${timeoutMs / 1000} s`)
    await sleep(50)
  }
}

export async function mosquittoRun (binary: string, shape: LoadShape, log: (line: string) => void): Promise<MosquittoRun> {
  const dir = tempDir('punchline-bench-mosquitto-')
  const port = await freePort()
  writeFileSync(join(dir, 'mosquitto.conf'), config(port))
  let stderr = ''
  const broker = spawnTracked(binary, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] })
  broker.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000) })
  let startError: string | undefined
  broker.once('error', (err) => { startError = err.message })
  const url = `mqtt://127.0.0.1:${port}`
  let subscriber: ChildProcess | undefined
  try {
    await listening(port, 10_000, () => startError ?? (broker.exitCode !== null ? `exit ${broker.exitCode}: ${stderr.trim()}` : undefined))
    subscriber = spawnTracked(process.execPath, [SUBSCRIBER, url, 'att/v1/+/punches'], { stdio: ['pipe', 'pipe', 'inherit'] })
    await waitForLine(subscriber, 'subscriber', 20_000, line => (JSON.parse(line) as { ready?: boolean }).ready)
    const subCpu0 = cpuSeconds(subscriber.pid)
    // Every message of the warm-up (10 devices × 5 batches) and of the measured load.
    const expected = 10 * 5 + shape.devices * shape.batches
    const delivered = waitForLine(subscriber, 'subscriber', 300_000, line => (JSON.parse(line) as { have?: number }).have)
      .then(have => ({ have, at: performance.now() }))
    delivered.catch(() => {})
    subscriber.stdin!.write(`expect ${expected}\n`)
    const puback = await measuredLoad(url, broker.pid, shape, 'puback')
    const got = await delivered
    // Asked again once everything is in: a message counted twice or one too many shows here.
    const final = waitForLine(subscriber, 'subscriber', 10_000, line => (JSON.parse(line) as { have?: number }).have)
    subscriber.stdin!.write('expect 0\n')
    const have = await final
    if (have !== expected) throw new Error(`subscriber got ${have} messages, expected ${expected}`)
    const deliveredSeconds = (got.at - puback.startedAt) / 1000
    const run: MosquittoRun = { puback, deliveredSeconds, deliveredRate: puback.punches / deliveredSeconds, subscriberCpuSeconds: cpuSeconds(subscriber.pid) - subCpu0 }
    log(`mosquitto, counted on PUBACK: ${fmt(puback.rate)} punches/s (${puback.seconds.toFixed(2)} s); subscriber had all after ${deliveredSeconds.toFixed(2)} s: ${fmt(run.deliveredRate)} punches/s`)
    return run
  } finally {
    if (subscriber !== undefined) await stopChild(subscriber)
    await stopChild(broker)
    removeTempDir(dir)
  }
}
