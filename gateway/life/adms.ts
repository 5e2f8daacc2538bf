/**
 * The ZKTeco terminals' listener (adms/listener.ts), when `adms.port` is set: its punches go through the
 * same commit, rules and outbox as the devices' (the ingest step makes the commit), so it starts after
 * ingest and closes before it, and what it handed over is committed at stop like the rest.
 */
import { AdmsIngress } from '../adms/ingress.js'
import { AdmsMetrics } from '../adms/adms-metrics.js'
import { createAdmsServer } from '../adms/listener.js'
import { readRestoreMark } from '../store/backup.js'
import { part } from './context.js'
import type { LifeStep } from './step.js'

const DAY_MS = 24 * 3600 * 1000
/** How often kept bodies past `adms.keepBodiesDays` are deleted. */
const PRUNE_EVERY_MS = 3600 * 1000

export const adms: LifeStep = {
  name: 'adms',
  async start (life) {
    const { config, log, now } = life
    const settings = config.adms
    if (settings.port === 0) return
    const db = part(life, 'db')
    const store = part(life, 'admsStore')
    // After a restore the file has forgotten what terminals sent since its backup: each sends everything
    // it holds again (the lines it sent before are known by their identity), once per restore.
    const mark = readRestoreMark(db)
    if (mark !== undefined && store.restoreHandled() !== mark.at) {
      const n = store.askEverythingAgain(mark.at)
      if (n > 0) log.warn({ terminals: n, restoredAt: new Date(mark.at).toISOString() }, 'restored database: every ZKTeco terminal is asked for everything it holds at its next handshake')
    }
    const guard = part(life, 'housekeeping').guard
    const metrics = new AdmsMetrics(life.metrics.registry)
    const ingress = new AdmsIngress({
      store,
      commit: part(life, 'commit'),
      metrics,
      log: log.child({ part: 'adms' }),
      now,
      settings: { delaySeconds: settings.delaySeconds, errorDelaySeconds: settings.errorDelaySeconds, setClock: settings.setClock, maxCommandsPerPoll: 8 },
      accepting: () => guard.reason,
      commitFailed: (err) => { guard.noteWriteError(err) },
      logSuppressed: (kind) => life.metrics.logSuppressed.inc({ kind }),
      committed: life.live?.committed
    })
    const server = await createAdmsServer({ ingress, metrics, maxBodyBytes: settings.maxBodyBytes, maxConnections: settings.maxConnections })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(settings.port, settings.host, () => resolve())
    })
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : settings.port
    const prune = (): void => {
      if (settings.keepBodiesDays === 0) return
      try {
        store.pruneBodies(now() - settings.keepBodiesDays * DAY_MS)
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'could not delete old terminal bodies; will retry')
      }
    }
    const pruneTimer = setInterval(prune, PRUNE_EVERY_MS).unref()
    life.adms = { ingress, server, port, pruneTimer }
    log.info({ admsHost: settings.host, admsPort: port, terminals: store.list().length }, 'ADMS listener for ZKTeco terminals')
  },
  async stop (life, { drain }) {
    const a = life.adms
    if (a === undefined) return
    clearInterval(a.pruneTimer)
    if (!drain) {
      a.server.closeAllConnections()
      a.server.close()
      return
    }
    await new Promise<void>(resolve => {
      a.server.close(() => resolve())
      a.server.closeIdleConnections()
      // An upload waiting for its commit finishes (the ingest step commits what is queued after this
      // step has stopped); the connections left after that are closed.
      setTimeout(() => a.server.closeAllConnections(), 2000).unref()
    })
  }
}
