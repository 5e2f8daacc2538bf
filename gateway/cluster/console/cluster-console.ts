/**
 * A cluster's console (`punchline console --cluster`; docs/DESIGN-NOTES.md, "The console for a cluster"):
 * one process, on no punch path, serving the web console and /api/v1 for a cluster. Its own state
 * (operators, sessions, the audit log, the site token) is in its own data directory's SQLite database, held
 * under the data directory's lock as a gateway holds its own; what it shows of the cluster (the nodes'
 * heartbeats, the dead letters, the alarms it evaluates every alarms.intervalSeconds) it reads from the
 * shared PostgreSQL store. It may die or be restarted at
 * any time: the nodes neither know nor care.
 */
import type { FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../../../shared/log.js'
import { databasePath, type GatewayConfig } from '../../config.js'
import { resolveApiToken } from '../../http/api-token.js'
import { firstLoginHint } from '../../http/first-login.js'
import { createClusterConsoleApp } from './console-app.js'
import { DataDirLock } from '../../store/data-dir-lock.js'
import { openDatabase, type Db } from '../../store/db.js'
import type { ClusterAdmin } from '../cluster-admin.js'
import { ClusterAlarmWatch } from './cluster-alarm-watch.js'

/** connections to the shared store: the console's reads are a page's worth, one operator at a time */
const CONSOLE_POOL_SIZE = 2

export class ClusterConsole {
  readonly #cfg: GatewayConfig
  readonly #log: Logger
  #lock?: DataDirLock
  #db?: Db
  #store?: ClusterAdmin
  #app?: FastifyInstance
  #alarms?: ClusterAlarmWatch
  port = 0

  constructor (cfg: GatewayConfig, log: Logger) {
    if (cfg.cluster.postgres === '') throw new Error('cluster.postgres: required with --cluster (in the --config file, or PUNCHLINE_CLUSTER_POSTGRES)')
    this.#cfg = cfg
    this.#log = log
  }

  async start (): Promise<void> {
    const cfg = this.#cfg
    const log = this.#log
    this.#lock = DataDirLock.acquire(cfg.dataDir, 'console', "stop the other process first, or give the console a --data directory of its own (never a gateway's)")
    const db = this.#db = openDatabase(databasePath(cfg))
    const { PostgresClusterStore } = await import('../postgres/postgres-cluster-store.js')
    const store = this.#store = await PostgresClusterStore.open({ connectionString: cfg.cluster.postgres, poolSize: CONSOLE_POOL_SIZE, leaseMs: cfg.cluster.leaseMs })
    const apiToken = resolveApiToken(cfg.http.token, cfg.dataDir)
    log.info({ file: apiToken.file ?? '(http.token or PUNCHLINE_API_TOKEN)' }, 'HTTP API token')
    const app = this.#app = await createClusterConsoleApp({
      settings: cfg.http,
      db,
      cluster: store,
      sites: cfg.sites,
      alarms: gauges => (this.#alarms = new ClusterAlarmWatch({ store, thresholds: cfg.alarms, clockSkewMs: cfg.rules.clockSkewMs, gauges, log, now: Date.now })),
      token: apiToken.token,
      log
    })
    await app.listen({ host: cfg.http.host, port: cfg.http.port })
    this.port = (app.server.address() as AddressInfo).port
    this.#alarms!.start()
    const hint = firstLoginHint(db, cfg.http.host, this.port, cfg.dataDir)
    log.info({ ...hint.fields, port: this.port }, `cluster console: ${hint.msg}`)
  }

  async stop (): Promise<void> {
    await this.#app?.close()
    await this.#alarms?.stop()
    await this.#store?.close()
    this.#db?.close()
    this.#lock?.release()
    this.#log.info('cluster console stopped')
  }
}
