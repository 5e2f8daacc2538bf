/**
 * A private Mosquitto 2 broker: a config file in a temp dir (one listener on 127.0.0.1 on a free port,
 * anonymous clients allowed, persistence off), the broker as a child process, stopped and removed by
 * `stop()`. With `auth`, the cluster's broker files instead (`punchline broker-auth mosquitto`): no anonymous
 * clients, and two listeners as docs/OPERATIONS.md has them, the devices' one with
 * `use_username_as_clientid` and the nodes' one without. The stand-in for "any broker with shared subscriptions" in the cluster tests
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
  /** where devices connect */
  url: string
  port: number
  /** where the cluster's nodes connect: `url` unless started with `auth` */
  nodesUrl: string
  process: ChildProcess
  /** SIGHUP: Mosquitto reads its password and ACL files again */
  reload: () => void
  /** SIGTERM, then the directory removed; safe to call twice */
  stop: () => Promise<void>
}

/** the files `punchline broker-auth mosquitto` wrote */
export interface MosquittoAuthFiles { passwordFile: string, aclFile: string }

export async function startMosquittoBroker (o: { auth?: MosquittoAuthFiles } = {}): Promise<MosquittoBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-mosquitto-'))
  const port = await freePort()
  const nodesPort = o.auth === undefined ? port : await freePort()
  const conf = join(dir, 'mosquitto.conf')
  const listeners = o.auth === undefined
    ? [`listener ${port} 127.0.0.1`, 'allow_anonymous true']
    : [
        // As root Mosquitto reads these files after dropping to the user `mosquitto`, which may not
        // enter a root-owned temp dir: a test broker stays root (a real one's files are root:mosquitto 0640).
        ...(process.getuid?.() === 0 ? ['user root'] : []),
        'per_listener_settings false',
        'allow_anonymous false',
        `password_file ${o.auth.passwordFile}`,
        `acl_file ${o.auth.aclFile}`,
        `listener ${port} 127.0.0.1`,
        'use_username_as_clientid true',
        `listener ${nodesPort} 127.0.0.1`
      ]
  writeFileSync(conf, [
    ...listeners,
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
  while (!(await accepts(port)) || !(await accepts(nodesPort))) {
    const failed = proc.exitCode !== null ? `mosquitto exited at start (${proc.exitCode}): ${log}` : Date.now() > deadline ? `mosquitto did not listen within ${START_TIMEOUT_MS} ms: ${log}` : undefined
    if (failed !== undefined) {
      proc.kill('SIGKILL')
      await stop()
      throw new Error(failed)
    }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  const reload = (): void => { proc.kill('SIGHUP') }
  return { url: `mqtt://127.0.0.1:${port}`, port, nodesUrl: `mqtt://127.0.0.1:${nodesPort}`, process: proc, reload, stop }
}
