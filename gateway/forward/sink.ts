/**
 * What the forwarder needs from an upstream: deliver one batch and say what became of it. Every sink
 * (the generic webhook, ERPNext, an upstream broker) maps its own answers onto these outcomes, so the
 * forwarder's retry, split, park and dead-letter logic is written once. test/fixtures/sink-contract.ts is
 * the suite every sink passes.
 */
import type { UpstreamBatch, Watermarks } from '../../shared/upstream.js'

export type SinkResult =
  /** the upstream has the batch (or already had it) */
  | { outcome: 'delivered' }
  /**
   * a transient fault: try the same batch, with the same key, later. `notTaken`: the upstream certainly
   * did not take it (it refused before reading it, 503/429..., or no connection was made), so the forwarder
   * may merge it with others into a new batch under a new key (docs/DESIGN-NOTES.md)
   */
  | { outcome: 'retry', status?: number, error: string, retryAfterMs?: number, notTaken?: boolean }
  /** the batch holds a record the upstream refuses: split it until the record is alone, then park it */
  | { outcome: 'split', status?: number, error: string }
  /** the upstream refuses everything for a reason an operator must fix (credentials, URL): retry slowly */
  | { outcome: 'config', status?: number, error: string }
  /**
   * the upstream does not know the person (ERPNext "No Employee found"): split until the record is alone,
   * then park it until a roster entry or an upstream fix maps it (not retried on its own, not lost)
   */
  | { outcome: 'park', status?: number, error: string }

export interface Sink {
  /** for logs and metrics */
  readonly name: string
  /** the most punches one deliver() takes (ERPNext posts one check-in per call); unset: forward.batchSize */
  readonly maxBatch?: number
  /**
   * The longest one deliver() of this many punches takes when every request it makes ends within its
   * timeout. The forwarder's watchdog aborts a delivery outstanding well past it; unset: no watchdog.
   */
  deadlineMs? (punches: number): number
  /**
   * Never rejects: every failure is a result. `signal` aborts the attempt (the gateway is stopping, or the
   * forwarder's watchdog: its reason says which, see abortText).
   */
  deliver (batch: UpstreamBatch, signal: AbortSignal): Promise<SinkResult>
  /**
   * Sinks that take it are told, now and then, that every punch before a time has been delivered (per
   * device and per site). Never rejects; 'delivered' when the upstream took it, or when there was nothing
   * new to tell it (ERPNext while a site's watermark is null or unchanged). Optional: a sink without it
   * (a webhook without watermarkUrl) wants none, and the gateway need not compute them.
   */
  watermark? (marks: Watermarks, signal: AbortSignal): Promise<SinkResult>
  /**
   * Sinks that take them are sent operators' decisions on flagged punches (`batch.reviews`, `punches`
   * empty) under the batch's key, with the answers classified as a punch batch's. Optional: ERPNext's
   * Employee Checkin has nowhere to put one, and such decisions stay at the gateway.
   */
  reviews? (batch: UpstreamBatch, signal: AbortSignal): Promise<SinkResult>
  close? (): Promise<void>
}

/**
 * What an abort of a delivery's signal means, in words: the reason it was aborted with when that is a
 * message for people (the forwarder's watchdog, a watermark's deadline), else the gateway stopping.
 */
export function abortText (signal: AbortSignal): string {
  const r: unknown = signal.reason
  return r instanceof Error && r.name !== 'AbortError' ? r.message : 'aborted: the gateway is stopping'
}
