/**
 * A private 3-node NATS cluster (Debian's `nats-server` 2.9) for one test file or fault run: each server with
 * its own config file and JetStream store dir in a temp dir, its client, route, MQTT and monitoring
 * listeners on 127.0.0.1 and free ports. `startNatsCluster` resolves once every server has its routes to the
 * two others and JetStream has a meta leader (MQTT clients are refused until then). A server can be killed
 * with SIGKILL and started again on the same ports and store; all are stopped and removed at teardown.
 *
 * Used by tests (test/helpers/nats.ts) and by `npm run faults`: of a tap Test it needs only teardown().
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from '../fakes/servers/ports.js'

/** Debian's package puts the server in /usr/sbin, often not on a test's PATH */
export const NATS_SERVER = existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server'
/** how long a (re)start may take on the shared, loaded machine: routes, then a JetStream meta leader */
const START_TIMEOUT_MS = 60_000
const CLUSTER_NAME = 'punchline'

export interface NatsServerPorts { client: number, cluster: number, mqtt: number, monitor: number }

/** what the helpers need of a tap Test: somewhere to put what ends the run */
export interface Teardown { teardown: (fn: () => void | Promise<void>) => void }

export class NatsServerProcess {
  process?: ChildProcess
  log = ''

  constructor (readonly name: string, readonly ports: NatsServerPorts, readonly configFile: string) {}

  get natsUrl (): string { return `nats://127.0.0.1:${this.ports.client}` }
  get mqttUrl (): string { return `mqtt://127.0.0.1:${this.ports.mqtt}` }
  get alive (): boolean { return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null }

  start (): void {
    const proc = this.process = spawn(NATS_SERVER, ['-c', this.configFile], { stdio: ['ignore', 'ignore', 'pipe'] })
    proc.stderr?.setEncoding('utf8').on('data', (s: string) => { this.log = (this.log + s).slice(-6000) })
  }

  kill9 (): void { this.process?.kill('SIGKILL') }

  /** SIGHUP: the server reads its config (and what it includes) again, as `nats-server --signal reload` does */
  reload (): void { this.process?.kill('SIGHUP') }

  async stop (): Promise<void> {
    const proc = this.process
    if (proc === undefined || !this.alive) return
    const exited = new Promise<void>(resolve => proc.once('exit', () => resolve()))
    proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }

  /** a monitoring endpoint's JSON, or undefined while the server does not answer */
  async monitor (path: string): Promise<Record<string, unknown> | undefined> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.ports.monitor}${path}`, { signal: AbortSignal.timeout(2000) })
      return res.ok ? await res.json() as Record<string, unknown> : undefined
    } catch {
      return undefined
    }
  }

  /** routed to `peers` others and JetStream's meta group has a leader, as this server sees it */
  async formed (peers: number): Promise<boolean> {
    const routes = await this.monitor('/routez')
    if (routes === undefined || Number(routes.num_routes) < peers) return false
    const jsz = await this.monitor('/jsz')
    const meta = jsz?.meta_cluster as { leader?: string } | undefined
    return typeof meta?.leader === 'string' && meta.leader !== ''
  }
}

export class NatsCluster {
  constructor (readonly servers: NatsServerProcess[]) {}

  /** every server's MQTT listener, for a device's broker list */
  get mqttUrls (): string[] { return this.servers.map(s => s.mqttUrl) }
  get natsUrls (): string[] { return this.servers.map(s => s.natsUrl) }

  /** Resolves once every running server is routed to every other running one and sees a meta leader. */
  async formed (timeoutMs = START_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const running = this.servers.filter(s => s.alive)
      const dead = this.servers.find(s => s.process !== undefined && !s.alive && s.process.signalCode !== 'SIGKILL')
      if (dead !== undefined) throw new Error(`nats-server ${dead.name} exited (${dead.process?.exitCode}): ${dead.log}`)
      const states = await Promise.all(running.map(async s => await s.formed(running.length - 1)))
      if (states.every(Boolean)) return
      if (Date.now() > deadline) {
        throw new Error(`the NATS cluster did not form within ${timeoutMs} ms: ${running.map((s, i) => `${s.name} ${states[i] ? 'formed' : 'waiting'}: ${s.log.slice(-800)}`).join(' | ')}`)
      }
      await sleep(200)
    }
  }

  /** Starts a killed server again on its ports and store, and waits for the cluster to take it back. */
  async restart (server: NatsServerProcess): Promise<void> {
    if (server.alive) throw new Error(`nats-server ${server.name} is still running`)
    server.start()
    await this.formed()
  }
}

/** `include`: a file every server's config includes, e.g. the authorization `punchline broker-auth nats` writes */
export async function startNatsCluster (t: Teardown, size = 3, o: { include?: string } = {}): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-nats-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // The ports are free when picked, not reserved: another process (a test beside this one) may bind one
  // before nats-server does, and the server exits. Then the whole cluster starts again on new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnFreePorts(t, join(dir, `try-${attempt}`), size, o)
    } catch (err) {
      if (attempt === PORT_RACE_ATTEMPTS || !String(err).includes('address already in use')) throw err
    }
  }
}

/** how many times a cluster start lost to a port taken between picking and binding is tried again */
const PORT_RACE_ATTEMPTS = 5

async function startOnFreePorts (t: Teardown, dir: string, size: number, o: { include?: string }): Promise<NatsCluster> {
  mkdirSync(dir)
  const ports: NatsServerPorts[] = []
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), cluster: await freePort(), mqtt: await freePort(), monitor: await freePort() })
  const servers = ports.map((p, i) => {
    const name = `nats-${i + 1}`
    const store = join(dir, name)
    mkdirSync(store)
    const file = join(dir, `${name}.conf`)
    // nats-server reads an include's path relative to the including file's directory, even an absolute one
    const include = o.include === undefined ? undefined : relative(dir, o.include)
    writeFileSync(file, serverConfig(name, p, store, ports.filter(other => other !== p).map(other => other.cluster), include))
    return new NatsServerProcess(name, p, file)
  })
  const cluster = new NatsCluster(servers)
  // A test process that dies without its teardown must not leave servers behind.
  const killOnExit = (): void => { for (const s of servers) s.kill9() }
  process.once('exit', killOnExit)
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit)
    await Promise.all(servers.map(async s => await s.stop()))
  }
  t.teardown(stop)
  for (const s of servers) s.start()
  try {
    await cluster.formed()
  } catch (err) {
    await stop()
    throw err
  }
  return cluster
}

/**
 * One server's config. JetStream's file store keeps the MQTT sessions and QoS 1 messages (NATS refuses MQTT
 * without it); `server_name` is required for JetStream in a cluster. The MQTT `ack_wait` is how long the
 * server waits for a device's PUBACK before it delivers a QoS 1 message again.
 */
function serverConfig (name: string, p: NatsServerPorts, store: string, routes: number[], include?: string): string {
  return [
    ...(include === undefined ? [] : [`include "${include}"`]),
    `server_name: ${name}`,
    `listen: 127.0.0.1:${p.client}`,
    `http: 127.0.0.1:${p.monitor}`,
    // A device fleet opens one connection per device per server, plus the nodes'.
    'max_connections: 20000',
    'jetstream {',
    `  store_dir: "${store}"`,
    '  max_memory_store: 64MB',
    '  max_file_store: 2GB',
    '}',
    'cluster {',
    `  name: ${CLUSTER_NAME}`,
    `  listen: 127.0.0.1:${p.cluster}`,
    `  routes: [${routes.map(r => `nats-route://127.0.0.1:${r}`).join(', ')}]`,
    '}',
    'mqtt {',
    `  listen: 127.0.0.1:${p.mqtt}`,
    '  ack_wait: "5s"',
    // The MQTT streams' replicas. Left to itself 2.9 sized them from the servers it saw at the first
    // connect and made them R2 here, and an R2 stream stops when either server dies: three, so that one
    // server's death leaves a quorum (docs/DESIGN-NOTES.md, "Cluster mode on NATS").
    '  stream_replicas: 3',
    '}',
    ''
  ].join('\n')
}
