/**
 * The steps that make the gateway's parts before anything listens: stores, rules, device sessions, the
 * upstream and the ingest path. Making them starts nothing; the steps in http.ts, broker.ts and running.ts do.
 */
import { DeviceStore } from '../store/device-store.js'
import { PunchStore } from '../store/punch-store.js'
import { ForwardStore } from '../store/forward-store.js'
import { AdmsStore } from '../store/adms-store.js'
import { directOutboxWrites, type OutboxWrites } from '../store/outbox-writes.js'
import { RosterStore } from '../store/roster-store.js'
import { Housekeeping } from '../housekeeping.js'
import { HealthWatch } from '../health-watch.js'
import { Roster } from '../rules/roster.js'
import { RosterWatch } from '../roster-watch.js'
import { DeviceClocks } from '../rules/device-clocks.js'
import { PunchHistory } from '../rules/history.js'
import { Flagger } from '../rules/flagger.js'
import { DeviceSessions } from '../device-sessions.js'
import { createSink } from '../forward/create-sink.js'
import { WatermarkFeed } from '../forward/watermark-feed.js'
import { Forwarder } from '../forward/forwarder.js'
import { GroupCommit } from '../ingest/group-commit.js'
import { PipelinedCommit, type PipelinedCommitOptions } from '../ingest/pipelined-commit.js'
import { COMMIT_AUTOCHECKPOINT_PAGES } from '../ingest/checkpointer.js'
import { DEFAULT_BUSY_TIMEOUT_MS } from '../store/db.js'
import { databasePath } from '../config.js'
import { Ingest } from '../ingest/ingest.js'
import { part, type LifeContext } from './context.js'
import type { LifeStep } from './step.js'
import { describeWithMakeups } from '../makeup/describe.js'
import { MakeupStore } from '../store/makeup-store.js'
import { ReviewFeed } from '../forward/review-feed.js'
import { ReviewStore } from '../store/review-store.js'

export const stores: LifeStep = {
  name: 'stores',
  start (life) {
    const db = part(life, 'db')
    life.devices = new DeviceStore(db)
    life.punches = new PunchStore(db)
    life.forwardStore = new ForwardStore(db)
    life.admsStore = new AdmsStore(db)
    // Storage guard and retention (housekeeping.ts): a full disk stops ingest, never loses a punch.
    life.housekeeping = new Housekeeping({ db, config: life.config, metrics: life.metrics, log: life.log.child({ part: 'storage' }), now: life.now })
  },
  stop (life, { drain }) {
    // Last-seen times and statuses not yet written; a crash loses them, and the next ones come soon.
    if (drain) flushActivity(life)
  }
}

/** Writes the last-seen times and statuses the device store holds (device-store.ts says why they wait). */
export function flushActivity (life: LifeContext): void {
  try {
    life.devices?.flush()
    life.admsStore?.flush()
  } catch (err) {
    // Kept for the next flush; the punches do not depend on it.
    life.log.warn({ err: (err as Error).message }, 'could not record device last-seen times and statuses; will retry')
  }
}

export const rules: LifeStep = {
  name: 'rules',
  start (life) {
    const { config, sites, now, log } = life
    const db = part(life, 'db')
    const devices = part(life, 'devices')
    const roster = new Roster(new RosterStore(db), { now })
    life.rosterWatch = new RosterWatch({
      roster,
      sites,
      store: part(life, 'forwardStore'),
      unknown: config.roster.unknown,
      log: log.child({ part: 'roster' }),
      now,
      released: () => life.forwarder?.notify()
    })
    const clocks = life.clocks = new DeviceClocks(id => devices.get(id)?.status)
    life.flagger = new Flagger({ rules: config.rules, sites, roster, clocks, history: new PunchHistory(db) })
    const keptDays = config.retention.deliveredDays
    if (keptDays > 0 && keptDays < 32 && config.rules.manualMonthlyLimit > 0) {
      // over-limit counts a month of a person's make-up punches; purged ones no longer count.
      log.warn({ deliveredDays: keptDays }, 'retention.deliveredDays is shorter than a month: the over-limit rule will undercount make-up punches')
    }
  }
}

export const deviceSessions: LifeStep = {
  name: 'deviceSessions',
  start (life) {
    life.sessions = new DeviceSessions({
      db: part(life, 'db'),
      topics: life.topics,
      devices: part(life, 'devices'),
      clocks: part(life, 'clocks'),
      metrics: life.metrics,
      log: life.log,
      now: life.now,
      corruptKeptAs: life.corruptKeptAs,
      statusCame: (device, status) => life.live?.devices.status(device, status)
    })
  }
}

/** How often decisions on flagged punches are looked for when no operator's decision wakes the feed. */
const REVIEW_POLL_MS = 2000

export const upstream: LifeStep = {
  name: 'upstream',
  start (life) {
    const { config, log, now, metrics } = life
    if (config.upstream === undefined) {
      log.warn('no upstream configured: punches are stored and acknowledged, and will be forwarded once one is set')
      return
    }
    const sink = createSink(config.upstream, { gatewayId: config.gatewayId, log: log.child({ part: 'sink', sink: config.upstream.kind }), now })
    life.watermarkFeed = new WatermarkFeed({
      sink,
      compute: life.watermarks,
      intervalMs: config.watermark.intervalSeconds * 1000,
      timeoutMs: config.upstream.timeoutMs,
      log: log.child({ part: 'watermark' })
    })
    const rosterWatch = part(life, 'rosterWatch')
    const forwarder = life.forwarder = new Forwarder({
      store: part(life, 'forwardStore'),
      sink,
      gatewayId: config.gatewayId,
      batchSize: config.forward.batchSize,
      lingerMs: config.forward.lingerMs,
      concurrency: config.forward.concurrency,
      unrecorded: config.forward.unrecordedBatches,
      backoff: { baseMs: config.forward.backoffBaseMs, capMs: config.forward.backoffCapMs },
      logger: log.child({ part: 'forwarder' }),
      now,
      describe: describeWithMakeups(new MakeupStore(part(life, 'db')), (p) => rosterWatch.describe(p)),
      writes: outboxWrites(life)
    })
    life.reviewFeed = new ReviewFeed({
      sink,
      store: new ReviewStore(part(life, 'db')),
      gatewayId: config.gatewayId,
      backoff: { baseMs: config.forward.backoffBaseMs, capMs: config.forward.backoffCapMs },
      pollMs: REVIEW_POLL_MS,
      timeoutMs: config.upstream.timeoutMs,
      log: log.child({ part: 'reviews' }),
      now,
      delivered: (n) => metrics.reviewsForwarded.inc({ outcome: 'delivered' }, n),
      refused: (n) => metrics.reviewsForwarded.inc({ outcome: 'refused' }, n)
    })
    forwarder.on('delivered', (n) => metrics.forwarded.inc(n))
    forwarder.on('dead-letter', (n) => metrics.deadLetters.inc(n))
    forwarder.on('parked', (n) => metrics.parked.inc(n))
    forwarder.on('failure', (kind) => metrics.forwardFailures.inc({ class: kind }))
  }
}

/**
 * The forwarder's outbox writes go where the commits go (store/outbox-writes.ts): on the commit thread,
 * made in the ingest step after this one, or on the event loop's connection.
 */
function outboxWrites (life: LifeContext): OutboxWrites {
  const direct = directOutboxWrites(part(life, 'forwardStore'))
  const to = (): OutboxWrites => life.commit instanceof PipelinedCommit ? life.commit : direct
  return {
    complete: async (key) => await to().complete(key),
    formBatches: async (size, count, now) => await to().formBatches(size, count, now)
  }
}

/** The punches' way in: decode, check, flag, commit in groups, acknowledge (ingest/). */
export const ingest: LifeStep = {
  name: 'ingest',
  async start (life) {
    const { metrics, config, log } = life
    const flagger = part(life, 'flagger')
    const sessions = part(life, 'sessions')
    const guard = part(life, 'housekeeping').guard
    const onCommit = (rows: number): void => {
      metrics.commitRows.observe(rows)
      life.forwarder?.notify()
    }
    const { commitThread, maxRowsPerCommit, maxQueuedRows } = config.ingest
    const commit = life.commit = commitThread
      ? await PipelinedCommit.start({
        thread: { file: databasePath(config), busyTimeoutMs: DEFAULT_BUSY_TIMEOUT_MS, maxRows: maxRowsPerCommit, rules: { config: config.rules, sites: config.sites } },
        maxQueuedRows,
        inputs: (row) => flagger.inputs(row),
        onCommit,
        claim: () => life.forwarder?.claimAhead(),
        recordOnDiscard: (key) => { part(life, 'forwardStore').complete(key) },
        onThreadLost: (err) => {
          metrics.commitThreadLost.inc()
          log.error({ err }, 'the commit thread ended: the batches it held are not acknowledged (the devices resend them); a new thread takes the next ones')
        },
        checkpoints: checkpointReports(life)
      })
      : new GroupCommit(part(life, 'db'), part(life, 'punches'), { maxRows: maxRowsPerCommit, maxQueuedRows, flag: (row, received) => flagger.flag(row, received) }, onCommit)
    // The checkpointer copies the WAL: the loop's own commits must not cross SQLite's default and copy it first.
    if (commit instanceof PipelinedCommit && commit.checkpointer !== undefined) part(life, 'db').pragma(`wal_autocheckpoint = ${COMMIT_AUTOCHECKPOINT_PAGES}`)
    life.ingest = new Ingest({
      topics: life.topics,
      commit,
      metrics,
      log: log.child({ part: 'ingest' }),
      sendAck: (device, payload) => sessions.send(device, 'acks', payload),
      maxPayloadBytes: config.maxPayloadBytes,
      now: life.now,
      accepting: () => guard.reason,
      committed: part(life, 'live').committed,
      commitFailed: (err) => { guard.noteWriteError(err) }
    })
  },
  async stop (life, { drain }) {
    // What came in while the connections closed: committed (its acks cannot go out any more; the devices
    // resend and the duplicates are ignored), or, as after a crash, dropped.
    if (drain) await life.commit?.settle()
    else life.commit?.discard()
    await life.commit?.close()
  }
}

/** What the checkpointer thread (ingest/checkpointer.ts) does, as metrics and, when it goes wrong, log lines. */
function checkpointReports (life: LifeContext): PipelinedCommitOptions['checkpoints'] {
  const { metrics, log } = life
  // One line per streak of failures: a checkpoint runs every few hundred milliseconds under load.
  let failing = false
  return {
    onRun: (run) => {
      failing = false
      metrics.checkpoints.inc({ result: run.busy ? 'busy' : run.checkpointed < run.log ? 'partial' : 'complete' })
      metrics.checkpointedFrames.inc(run.copied)
    },
    onFailed: (err) => {
      metrics.checkpoints.inc({ result: 'failed' })
      if (failing) return
      failing = true
      log.warn({ err: err.message, code: (err as { code?: string }).code }, 'a WAL checkpoint failed; the next ones try again (punchline_wal_checkpoints_total{result="failed"} counts them)')
    },
    onLost: (err) => {
      metrics.checkpointerLost.inc()
      log.error({ err }, 'the checkpointer thread ended; another starts in a second, and the commits checkpoint the WAL meanwhile')
    }
  }
}

export const gauges: LifeStep = {
  name: 'gauges',
  start (life) {
    const m = life.metrics
    m.gauge('punchline_ingest_queued_rows', 'Rows waiting for the next group commit', () => life.commit?.stats.queuedRows ?? 0)
    m.gauge('punchline_clients_connected_now', 'MQTT clients connected', () => life.broker?.broker.connectedClients ?? 0)
    m.gauge('punchline_forward_backlog_punches', 'Stored punches not yet accepted upstream', () => life.forwardStore?.backlog().pendingPunches ?? 0)
    m.gauge('punchline_forward_oldest_pending_age_seconds', 'Age of the oldest punch not yet accepted upstream', () => {
      const oldest = life.forwardStore?.oldestPendingReceived()
      return oldest == null ? 0 : (life.now() - oldest) / 1000
    })
  }
}

/** The alarms (health-watch.ts), made here for the HTTP views; its timer starts with the others. */
export const health: LifeStep = {
  name: 'health',
  start (life) {
    life.health = new HealthWatch({
      db: part(life, 'db'),
      config: life.config,
      guard: part(life, 'housekeeping').guard,
      forwarder: life.forwarder,
      metrics: life.metrics,
      log: life.log.child({ part: 'alarms' }),
      now: life.now,
      changed: (state, alarm) => life.live?.events.publish('alarm', { state, ...alarm })
    })
  }
}
