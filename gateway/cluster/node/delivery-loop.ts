/**
 * A node's forwarder in cluster mode: `concurrency` workers, each claiming a batch from the shared outbox
 * (ClusterStore.claim: no two nodes ever hold the same punches), renewing its lease while the upstream
 * answers, then completing it or releasing it for later under the same Idempotency-Key. A node killed
 * mid-delivery leaves a lease that runs out; a survivor's next claim gets the batch with its key, so the
 * upstream sees a duplicate only under a key it has seen (docs/DESIGN-NOTES.md, "Cluster nodes").
 *
 * A record the upstream refuses for good is isolated as the single box isolates it: the batch is split
 * in halves (new batches, new keys) until the record is alone, then parked in dead letters (`split` and
 * `deadLetter` on the store, which act only while this claim holds the batch); the rest goes on.
 *
 * With `roster.unknown` = 'hold', punches whose badge the roster maps to no one are parked (`park`, under
 * the same claim) before the body is built, and the batch goes out without them under its key
 * (docs/DESIGN-NOTES.md, "Held badges on cluster nodes").
 *
 * The single box's forwarder (gateway/forward/forwarder.ts) stays as it is; its sinks are reused here.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { retryDelay, type BackoffPolicy } from '../../../shared/backoff.js'
import type { Logger } from '../../../shared/log.js'
import { toUpstream, type PunchDescription } from '../../forward/forwarder.js'
import type { Sink } from '../../forward/sink.js'
import type { Counter } from 'prom-client'
import type { GatewayMetrics } from '../../metrics.js'
import { LogLimiter } from '../../log-limiter.js'
import { MAX_ERROR_CHARS, type ClaimedBatch, type ClusterStore } from '../cluster-store.js'
import { ROSTER_CHECK_MS } from './roster-copy.js'
import type { NodeUpstream } from '../node-registry.js'

export interface DeliveryLoopOptions {
  store: ClusterStore
  sink: Sink
  /** the `gateway` field of every body: the cluster's gatewayId, the same on every node */
  gatewayId: string
  nodeId: string
  batchSize: number
  concurrency: number
  backoff: BackoffPolicy
  /** an idle worker asks again after this long */
  pollMs: number
  /** the store's lease; a renewal goes out at a third of it */
  leaseMs: number
  log: Logger
  counts: DeliveryCounts
  /** the single box's forwarding counters: punches delivered, failed attempts by class */
  metrics: Pick<GatewayMetrics, 'forwarded' | 'forwardFailures' | 'logSuppressed' | 'deadLetters' | 'parked'>
  leasesLost: Counter
  /** what the upstream is told of a punch besides the stored row (its site and employee, as the single box's roster says) */
  describe?: (p: ClaimedBatch['punches'][number]) => PunchDescription
  /** why a punch must wait for a roster entry (`roster.unknown` = 'hold'), or undefined when it goes out */
  hold?: (p: ClaimedBatch['punches'][number]) => string | undefined
  /** the roster version `hold` judges by, read before it is asked */
  rosterVersion?: () => number
}

export interface DeliveryCounts {
  delivered: number
  punchesDelivered: number
  failed: number
  /** renewals refused: the lease had run out and the batch may be another node's now */
  leaseLost: number
  /** batches split in halves to isolate a record the upstream refuses */
  splits: number
  /** punches parked in dead letters (refused for good, or an unknown person upstream) */
  deadLettered: number
}

export class DeliveryLoop {
  readonly #o: DeliveryLoopOptions
  readonly #stop = new AbortController()
  #workers: Array<Promise<void>> = []
  #held = 0
  /** a store that is down fails every worker's claim every pollMs: one line per window, the rest counted */
  readonly #storeLog: LogLimiter

  constructor (o: DeliveryLoopOptions) {
    this.#o = o
    this.#storeLog = new LogLimiter({ log: o.log, suppressed: (kind) => o.metrics.logSuppressed.inc({ kind }) })
  }

  /** the last delivery and failure, for the heartbeat (the console's upstream-failing) */
  readonly #upstream: NodeUpstream = { since: Date.now(), lastDeliveredAt: null, lastFailure: null }

  /** its forwarder's state as the heartbeat reports it: a copy */
  get upstream (): NodeUpstream {
    const u = this.#upstream
    return { ...u, lastFailure: u.lastFailure === null ? null : { ...u.lastFailure } }
  }

  /** outbox batches this node holds for delivery now (its heartbeat shows them) */
  get held (): number { return this.#held }

  start (): void {
    for (let i = 0; i < this.#o.concurrency; i++) this.#workers.push(this.#work())
  }

  async stop (): Promise<void> {
    this.#stop.abort()
    await Promise.all(this.#workers)
  }

  async #work (): Promise<void> {
    const o = this.#o
    const signal = this.#stop.signal
    while (!signal.aborted) {
      let batch: ClaimedBatch | undefined
      try {
        batch = await o.store.claim({ size: o.sink.maxBatch ?? o.batchSize, node: o.nodeId })
      } catch (err) {
        this.#storeLog.write('warn', { kind: 'claim-failed', device: '' }, { err }, 'claiming an outbox batch failed; trying again')
      }
      if (batch === undefined) {
        await sleep(o.pollMs, undefined, { signal }).catch(() => {})
        continue
      }
      await this.#deliver(batch, signal)
    }
  }

  async #deliver (batch: ClaimedBatch, stopping: AbortSignal): Promise<void> {
    const o = this.#o
    const attempt = new AbortController()
    const onStop = (): void => { attempt.abort(stopping.reason) }
    stopping.addEventListener('abort', onStop, { once: true })
    this.#held++
    const renewal = setInterval(() => {
      o.store.renew(batch).then(until => {
        if (until !== undefined) return
        // Another node may be sending it now, under the same key; this attempt stops.
        o.counts.leaseLost++
        o.leasesLost.inc()
        attempt.abort(new Error('lease lost'))
      }, (err: Error) => { o.log.warn({ err, batch: batch.key }, 'renewing a lease failed') })
    }, Math.max(50, Math.floor(o.leaseMs / 3)))
    try {
      if (!await this.#parkHeld(batch)) return
      const body = { gateway: o.gatewayId, batch: batch.key, punches: batch.punches.map(p => toUpstream(p, o.describe?.(p))) }
      const result = await o.sink.deliver(body, attempt.signal)
      if (attempt.signal.aborted) return
      if (result.outcome === 'delivered') {
        await o.store.complete(batch)
        o.counts.delivered++
        o.counts.punchesDelivered += batch.punches.length
        this.#upstream.lastDeliveredAt = Date.now()
        o.metrics.forwarded.inc(batch.punches.length)
        return
      }
      o.counts.failed++
      o.metrics.forwardFailures.inc({ class: result.outcome })
      this.#upstream.lastFailure = { at: Date.now(), kind: result.outcome, status: result.status ?? null, error: result.error }
      if (result.outcome === 'split' || result.outcome === 'park') {
        await this.#isolate(batch, result)
        return
      }
      // 'config': the upstream refuses the gateway itself; slowly, as the single box retries it.
      const retryInMs = result.outcome === 'retry' && result.retryAfterMs !== undefined
        ? result.retryAfterMs
        : result.outcome === 'config' ? o.backoff.capMs : retryDelay(batch.attempts, o.backoff)
      o.log.warn({ batch: batch.key, outcome: result.outcome, error: result.error, retryInMs }, 'delivery failed; the batch stays in the outbox under its key')
      await o.store.release(batch, { retryInMs, error: result.error.slice(0, MAX_ERROR_CHARS) })
    } catch (err) {
      // The store could not record the outcome: the lease runs out and the batch is sent again under its key.
      o.log.warn({ err, batch: batch.key }, 'recording a delivery failed; the batch goes again after its lease')
    } finally {
      clearInterval(renewal)
      stopping.removeEventListener('abort', onStop)
      this.#held--
    }
  }

  /**
   * Parks the batch's punches that wait for a roster entry, under this claim, and leaves them out of what
   * is sent: the batch keeps its key for the rest, as on the single box (a parked punch comes back only
   * in a new batch, by a replay). False when nothing is left to send (the batch is settled, or the lease
   * ran out).
   */
  async #parkHeld (batch: ClaimedBatch): Promise<boolean> {
    const o = this.#o
    if (o.hold === undefined || o.store.park === undefined) return true
    const rosterVersion = o.rosterVersion?.() ?? 0
    const held: number[] = []
    let reason = ''
    for (const p of batch.punches) {
      const why = o.hold(p)
      if (why === undefined) continue
      held.push(p.id)
      reason = why
    }
    if (held.length === 0) return true
    const parked = await o.store.park(batch, held, { reason, node: o.nodeId, rosterVersion })
    if (parked === undefined) {
      this.#lost(batch)
      return false
    }
    if (parked === 'roster-moved') {
      // The roster changed under this node's copy: judge the batch again once the copy follows.
      await o.store.release(batch, { retryInMs: ROSTER_CHECK_MS, error: 'the roster changed while punches were held; judged again' })
      return false
    }
    o.counts.deadLettered += parked
    o.metrics.parked.inc(parked)
    o.log.warn({ batch: batch.key, punches: held.length, reason }, 'punches held until a roster entry maps their badge (punchline roster add --cluster)')
    const out = new Set(held)
    batch.punches = batch.punches.filter(p => !out.has(p.id))
    if (batch.punches.length > 0) return true
    // Nothing left to send: the batch leaves the outbox as a delivered one would.
    await o.store.complete(batch)
    return false
  }

  /** Halves a batch holding a refused record, or parks the record once it is alone. */
  async #isolate (batch: ClaimedBatch, result: { outcome: 'split' | 'park', status?: number, error: string }): Promise<void> {
    const o = this.#o
    const halves = batch.punches.length > 1 ? await o.store.split(batch) : 0
    if (halves === undefined) return this.#lost(batch)
    if (halves > 0) {
      o.counts.splits++
      o.log.warn({ batch: batch.key, punches: batch.punches.length, status: result.status, error: result.error }, 'upstream refused a record in the batch; splitting it')
      return
    }
    const kind = result.outcome === 'park' ? 'unmapped' : 'refused'
    const parked = await o.store.deadLetter(batch, { status: result.status ?? null, reason: result.error, kind, node: o.nodeId })
    if (parked === undefined) return this.#lost(batch)
    o.counts.deadLettered += parked
    if (kind === 'refused') o.metrics.deadLetters.inc(parked)
    else o.metrics.parked.inc(parked)
    o.log.error({ batch: batch.key, punch: batch.punches[0]?.id, status: result.status, error: result.error, kind },
      'upstream refused a punch for good; parked in dead letters (punchline deadletters list --cluster)')
  }

  /** The lease ran out before the outcome was recorded: another node may hold the batch now and settles it. */
  #lost (batch: ClaimedBatch): void {
    this.#o.counts.leaseLost++
    this.#o.leasesLost.inc()
    this.#o.log.warn({ batch: batch.key }, 'the lease ran out before the upstream\'s refusal was recorded; the batch goes again under its key')
  }
}
