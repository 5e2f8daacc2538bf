/**
 * A private Mosquitto 2 broker for one test file: a config file in a temp dir (one listener on 127.0.0.1
 * on a free port, anonymous clients allowed, persistence off), the broker as a child process, stopped and
 * removed at teardown. The stand-in for "any broker with shared subscriptions" in cluster tests.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { accepts, freePort } from './ports.js'

/** Debian's package puts the broker in /usr/sbin, often not on a test's PATH */
export const MOSQUITTO = existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto'
const START_TIMEOUT_MS = 20_000

export interface PrivateMosquitto {
  url: string
  port: number
  process: ChildProcess
}

export async function startMosquitto (t: Test): Promise<PrivateMosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-mosquitto-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
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
  const killOnExit = (): void => { proc.kill('SIGKILL') }
  process.once('exit', killOnExit)
  t.teardown(async () => {
    process.off('exit', killOnExit)
    if (proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise<void>(resolve => proc.once('exit', () => resolve()))
    proc.kill('SIGTERM')
    await exited
  })
  const deadline = Date.now() + START_TIMEOUT_MS
  while (!(await accepts(port))) {
    if (proc.exitCode !== null) throw new Error(`mosquitto exited at start (${proc.exitCode}): ${log}`)
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen within ${START_TIMEOUT_MS} ms: ${log}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return { url: `mqtt://127.0.0.1:${port}`, port, process: proc }
}
