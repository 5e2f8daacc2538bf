/**
 * A private Mosquitto 2 broker: a config file in a temp dir (one listener on 127.0.0.1 on a free port,
 * anonymous clients allowed, persistence off), the broker as a child process, stopped and removed by
 * `stop()`. The stand-in for "any broker with shared subscriptions" in the cluster tests
 * (test/helpers/mosquitto.ts) and the cluster bench (bench/cluster.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { accepts, freePort } from './ports.js'

/** Debian's package puts the broker in /usr/sbin, often not on PATH */
export const MOSQUITTO = existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto'
const START_TIMEOUT_MS = 20_000

export interface MosquittoBroker {
  url: string
  port: number
  process: ChildProcess
  /** SIGTERM, then the directory removed; safe to call twice */
  stop: () => Promise<void>
}

export async function startMosquittoBroker (): Promise<MosquittoBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-mosquitto-'))
  const port = await freePort()
  const conf = join(dir, 'mosquitto.conf')
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    // Enough in flight for a device's window and a node's acks without the broker queueing behind them.
    'max_inflight_messages 100',
    'max_queued_messages 100000',
    ''
  ].join('\n'))
  // As root mosquitto drops to the user `mosquitto`, which may not read a root-owned temp dir: stay as we are.
  const proc = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  proc.stderr?.setEncoding('utf8').on('data', (s: string) => { log = (log + s).slice(-4000) })
  // A process that exits without stopping it (the bench on Ctrl-C) must not leave a broker or its files behind.
  const killOnExit = (): void => {
    proc.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('exit', killOnExit)
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit)
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>(resolve => proc.once('exit', () => resolve()))
      proc.kill('SIGTERM')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + START_TIMEOUT_MS
  while (!(await accepts(port))) {
    const failed = proc.exitCode !== null ? `mosquitto exited at start (${proc.exitCode}): ${log}` : Date.now() > deadline ? `mosquitto did not listen within ${START_TIMEOUT_MS} ms: ${log}` : undefined
    if (failed !== undefined) {
      proc.kill('SIGKILL')
      await stop()
      throw new Error(failed)
    }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return { url: `mqtt://127.0.0.1:${port}`, port, process: proc, stop }
}
