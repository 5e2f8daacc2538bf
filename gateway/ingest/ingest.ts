/**
 * The publish path of a punch batch, run inside aedes's `authorizePublish`, the only hook that runs before
 * the broker writes the PUBACK (docs/DESIGN-NOTES.md, "Group commit in the publish path"). Its steps read
 * as the story of a batch:
 *
 *   decode → commit (group commit: rules flag each row inside the transaction, durable) → PUBACK → ack
 *
 * An unreadable payload gets an error ack and a PUBACK (sending it again would not help); a failed commit
 * gets no PUBACK, the broker drops the connection, and the device sends the batch again later.
 */
import { decodeBatch, type PunchRejection } from '../../shared/codec/batch.js'
import { encodeAck, type Ack } from '../../shared/codec/ack.js'
import { toRanges } from '../../shared/ranges.js'
import { fieldOf } from '../../shared/codec/check.js'
import type { Topics } from '../../shared/topics.js'
import type { Logger } from '../../shared/log.js'
import type { PunchRow } from '../store/punch-store.js'
import { QueueFull, type CommitResult, type Committer } from './group-commit.js'
import type { GatewayMetrics } from '../metrics.js'
import { LogLimiter } from '../log-limiter.js'

export type SendAck = (device: string, payload: string) => void

export interface IngestOptions {
  topics: Topics
  commit: Committer
  metrics: GatewayMetrics
  log: Logger
  sendAck: SendAck
  maxPayloadBytes: number
  now: () => number
  /** why punch batches cannot be stored now (storage full), undefined while they can */
  accepting?: () => string | undefined
  /** a commit failed: the storage guard turns full at once when it was SQLITE_FULL */
  commitFailed?: (err: Error) => void
  /** after a commit and its ack: the seqs stored now (the live events and the history; gateway/life/live.ts) */
  committed?: (device: string, epoch: string, stored: number[]) => void
}

/** at most one "refusing" warning per this long; the counter has every refusal */
const REFUSAL_LOG_EVERY_MS = 30_000

export class Ingest {
  readonly #o: IngestOptions
  /** lines a device causes once per message: one per device, kind and field per window (log-limiter.ts) */
  readonly #deviceLog: LogLimiter
  #refusedSinceLog = 0
  #refusalLoggedAt = -Infinity

  constructor (opts: IngestOptions) {
    this.#o = opts
    this.#deviceLog = new LogLimiter({ log: opts.log, suppressed: (kind) => opts.metrics.logSuppressed.inc({ kind }), now: opts.now })
  }

  /** Handles one publish on `{prefix}/{device}/punches`; `done` releases the PUBACK. */
  handle (device: string, payload: Buffer, done: (err?: Error | null) => void): void {
    const o = this.#o
    const refusal = o.accepting?.()
    if (refusal !== undefined) {
      // No PUBACK and no ack: aedes drops the connection, the device keeps the batch in its ring and sends
      // it again after reconnecting; by then there may be room (storage-guard.ts).
      this.#refuse(device, 'storage-full', refusal)
      done(new Error(refusal))
      return
    }
    const decoded = decodeBatch(payload, o.maxPayloadBytes)
    if (!decoded.ok) {
      const field = fieldOf(decoded.error)
      o.metrics.batches.inc({ result: 'unreadable' })
      o.metrics.rejects.inc({ field })
      if (decoded.tooLarge === true) o.metrics.payloadsTooLarge.inc({ channel: 'punches' })
      this.#deviceLog.write('warn', { kind: 'batch-unreadable', device, detail: field },
        { device, batch: decoded.id, error: decoded.error, bytes: payload.length }, 'unreadable punch batch')
      this.#ack(device, { v: 1, id: decoded.id, epoch: decoded.epoch, error: decoded.error })
      done(null)
      return
    }
    const { batch, rejected, repeatConflicts } = decoded
    if (repeatConflicts.length > 0) {
      o.metrics.conflicts.inc(repeatConflicts.length)
      this.#deviceLog.write('warn', { kind: 'conflict', device, detail: 'batch' }, { device, epoch: batch.epoch, batch: batch.id, seqs: repeatConflicts },
        'a seq repeated within one batch with other content; its first copy wins')
    }
    for (const r of rejected) {
      const field = fieldOf(r.reason)
      o.metrics.rejects.inc({ field })
      this.#deviceLog.write('info', { kind: 'punch-rejected', device, detail: field }, { device, epoch: batch.epoch, seq: r.seq, reason: r.reason }, 'punch rejected')
    }
    if (rejected.length > 0) o.metrics.punches.inc({ result: 'rejected' }, rejected.length)

    if (batch.punches.length === 0) {
      o.metrics.batches.inc({ result: 'ok' })
      this.#ack(device, { v: 1, id: batch.id, epoch: batch.epoch, ok: [], rejected })
      done(null)
      return
    }

    const received = o.now()
    const rows: PunchRow[] = new Array(batch.punches.length)
    for (let i = 0; i < rows.length; i++) {
      rows[i] = { device, epoch: batch.epoch, tz: batch.tz, punch: batch.punches[i], flags: '' }
    }
    o.commit.enqueue({
      rows,
      received,
      done: (err, result) => {
        if (err instanceof QueueFull) {
          // Commits lag behind (a slow disk): refused like a full disk, the device resends later.
          this.#refuse(device, 'queue-full', err.message)
          done(err)
          return
        }
        if (err != null || result === undefined) {
          o.metrics.batches.inc({ result: 'commit_failed' })
          o.log.error({ err, device, batch: batch.id }, 'commit failed; batch not acknowledged, the device will resend')
          if (err != null) o.commitFailed?.(err)
          done(err ?? new Error('commit failed'))
          return
        }
        done(null)
        this.#committed(device, batch.id, batch.epoch, result, rejected)
      }
    })
  }

  #committed (device: string, id: string | undefined, epoch: string, r: CommitResult, rejected: PunchRejection[]): void {
    const o = this.#o
    o.metrics.batches.inc({ result: 'ok' })
    if (r.stored.length > 0) o.metrics.punches.inc({ result: 'stored' }, r.stored.length)
    if (r.known.length > 0) o.metrics.punches.inc({ result: 'known' }, r.known.length)
    if (r.conflicts.length > 0) {
      o.metrics.conflicts.inc(r.conflicts.length)
      this.#deviceLog.write('warn', { kind: 'conflict', device }, { device, epoch, seqs: r.conflicts }, 'resent punches differ from the stored copies; the stored copies win')
    }
    const ok = r.known.length === 0 ? toRanges(r.stored) : toRanges(r.stored.concat(r.known))
    this.#ack(device, { v: 1, id, epoch, ok, rejected })
    if (r.stored.length > 0) o.committed?.(device, epoch, r.stored)
  }

  #ack (device: string, ack: Ack): void {
    this.#o.sendAck(device, encodeAck(ack))
  }

  #refuse (device: string, reason: 'storage-full' | 'queue-full', detail: string): void {
    const o = this.#o
    o.metrics.batchesRefused.inc({ reason })
    this.#refusedSinceLog++
    const now = o.now()
    if (now - this.#refusalLoggedAt < REFUSAL_LOG_EVERY_MS) return
    o.log.warn({ device, reason: detail, refused: this.#refusedSinceLog }, reason === 'storage-full'
      ? 'punch batches refused without an ack: storage full; devices keep them and resend'
      : 'punch batches refused without an ack: commits are behind (ingest.maxQueuedRows); devices keep them and resend')
    this.#refusalLoggedAt = now
    this.#refusedSinceLog = 0
  }
}
