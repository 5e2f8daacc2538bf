/**
 * A node's forwarder in cluster mode: `concurrency` workers, each claiming a batch from the shared outbox
 * (ClusterStore.claim: no two nodes ever hold the same punches), renewing its lease while the upstream
 * answers, then completing it or releasing it for later under the same Idempotency-Key. A node killed
 * mid-delivery leaves a lease that runs out; a survivor's next claim gets the batch with its key, so the
 * upstream sees a duplicate only under a key it has seen (docs/DESIGN-NOTES.md, "Cluster nodes").
 *
 * The single box's forwarder (gateway/forward/forwarder.ts) stays as it is; its sinks are reused here.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { retryDelay, type BackoffPolicy } from '../../../shared/backoff.js'
import type { Logger } from '../../../shared/log.js'
import { toUpstream } from '../../forward/forwarder.js'
import type { Sink } from '../../forward/sink.js'
import type { Counter } from 'prom-client'
import type { GatewayMetrics } from '../../metrics.js'
import { LogLimiter } from '../../log-limiter.js'
import { MAX_ERROR_CHARS, type ClaimedBatch, type ClusterStore } from '../cluster-store.js'

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
  metrics: Pick<GatewayMetrics, 'forwarded' | 'forwardFailures' | 'logSuppressed'>
  leasesLost: Counter
}

export interface DeliveryCounts {
  delivered: number
  punchesDelivered: number
  failed: number
  /** renewals refused: the lease had run out and the batch may be another node's now */
  leaseLost: number
}

export class DeliveryLoop {
  readonly #o: DeliveryLoopOptions
  readonly #stop = new AbortController()
  #workers: Array<Promise<void>> = []
  /** a store that is down fails every worker's claim every pollMs: one line per window, the rest counted */
  readonly #storeLog: LogLimiter

  constructor (o: DeliveryLoopOptions) {
    this.#o = o
    this.#storeLog = new LogLimiter({ log: o.log, suppressed: (kind) => o.metrics.logSuppressed.inc({ kind }) })
  }

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
      const body = { gateway: o.gatewayId, batch: batch.key, punches: batch.punches.map(p => toUpstream(p)) }
      const result = await o.sink.deliver(body, attempt.signal)
      if (attempt.signal.aborted) return
      if (result.outcome === 'delivered') {
        await o.store.complete(batch)
        o.counts.delivered++
        o.counts.punchesDelivered += batch.punches.length
        o.metrics.forwarded.inc(batch.punches.length)
        return
      }
      o.counts.failed++
      o.metrics.forwardFailures.inc({ class: result.outcome })
      const retryInMs = result.outcome === 'retry' && result.retryAfterMs !== undefined
        ? result.retryAfterMs
        : retryDelay(batch.attempts, o.backoff)
      o.log.warn({ batch: batch.key, outcome: result.outcome, error: result.error, retryInMs }, 'delivery failed; the batch stays in the outbox under its key')
      await o.store.release(batch, { retryInMs, error: result.error.slice(0, MAX_ERROR_CHARS) })
    } catch (err) {
      // The store could not record the outcome: the lease runs out and the batch is sent again under its key.
      o.log.warn({ err, batch: batch.key }, 'recording a delivery failed; the batch goes again after its lease')
    } finally {
      clearInterval(renewal)
      stopping.removeEventListener('abort', onStop)
    }
  }
}
