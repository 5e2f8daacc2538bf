/**
 * Keeps a running gateway's disk in hand: the storage guard on its timer, and retention once at start,
 * every `retention.intervalMinutes`, and at every guard check while storage is full (a purge may be what
 * makes room; ingest goes on by itself when it does). One purge at a time; stop() waits for it so the
 * database is never closed between two of its chunks.
 */
import type { Logger } from '../shared/log.js'
import { databasePath, type GatewayConfig } from './config.js'
import type { Db } from './store/db.js'
import type { GatewayMetrics } from './metrics.js'
import { Retention, type PurgeResult } from './store/retention.js'
import { StorageGuard } from './storage-guard.js'

export interface HousekeepingOptions {
  db: Db
  config: Pick<GatewayConfig, 'dataDir' | 'retention' | 'storage'>
  metrics: GatewayMetrics
  log: Logger
  now: () => number
}

export class Housekeeping {
  readonly guard: StorageGuard
  readonly #o: HousekeepingOptions
  readonly #retention: Retention
  #timer?: NodeJS.Timeout
  #purging?: Promise<PurgeResult | undefined>
  #stopped = false

  constructor (opts: HousekeepingOptions) {
    this.#o = opts
    const { db, config, log } = opts
    this.#retention = new Retention(db)
    const guard = this.guard = new StorageGuard({ db, file: databasePath(config), limits: config.storage, log })
    guard.on('full', (reason) => log.error({ reason, usage: guard.usage },
      'storage full: ingest stopped, devices keep their punches and resend; make room (free disk, purge sooner, raise storage.maxDbBytes) and it resumes by itself'))
    guard.on('resumed', () => log.info({ usage: guard.usage }, 'storage has room again: ingest resumed'))
    guard.on('checked', () => { if (guard.full) void this.purge('storage full') })
    const m = opts.metrics
    m.batchesRefused.inc({ reason: 'storage-full' }, 0) // a series from the start, for alert rules to compare against
    m.gauge('punchline_storage_full', '1 while ingest is stopped because storage is full (storage.maxDbBytes, storage.minFreeBytes)', () => guard.full ? 1 : 0)
    m.gauge('punchline_storage_db_bytes', 'Database pages in use plus the WAL (what storage.maxDbBytes is compared with)', () => guard.usage?.usedBytes ?? 0)
    m.gauge('punchline_storage_disk_free_bytes', 'Free space on the data directory\'s file system', () => guard.usage?.diskFreeBytes ?? 0)
  }

  start (): void {
    this.guard.start()
    void this.purge('start')
    this.#timer = setInterval(() => { void this.purge('schedule') }, this.#o.config.retention.intervalMinutes * 60_000)
    this.#timer.unref()
  }

  async stop (): Promise<void> {
    this.#stopped = true
    this.guard.stop()
    clearInterval(this.#timer)
    await this.#purging
  }

  /** Runs retention now unless a run is under way (then that run's result). Never rejects. */
  purge (why: string): Promise<PurgeResult | undefined> {
    if (this.#purging !== undefined) return this.#purging
    const run = this.#purge(why).finally(() => { this.#purging = undefined })
    this.#purging = run
    return run
  }

  async #purge (why: string): Promise<PurgeResult | undefined> {
    const { config, log, metrics } = this.#o
    if (this.#stopped || config.retention.deliveredDays === 0) return undefined
    try {
      const r = await this.#retention.purge(config.retention.deliveredDays, this.#o.now(), { stopped: () => this.#stopped })
      if (r.purged > 0) {
        metrics.purged.inc(r.purged)
        log.info({ why, purged: r.purged, chunks: r.chunks, before: new Date(r.cutoff).toISOString(), vacuumedPages: r.vacuumedPages }, 'retention: delivered punches purged')
        // Room inside the file now: let ingest go on without waiting for the next tick.
        if (this.guard.full && !this.#stopped) this.guard.check()
      }
      return r
    } catch (err) {
      log.error({ err, why }, 'retention purge failed; will try again at the next run')
      return undefined
    }
  }
}
