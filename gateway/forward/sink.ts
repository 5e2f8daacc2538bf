/**
 * What the forwarder needs from an upstream: deliver one batch and say what became of it. Every sink
 * (the generic webhook today; ERPNext and an upstream broker later) maps its own answers onto these four
 * outcomes, so the forwarder's retry, split and dead-letter logic is written once.
 */
import type { UpstreamBatch } from '../../shared/upstream.js'

export type SinkResult =
  /** the upstream has the batch (or already had it) */
  | { outcome: 'delivered' }
  /** a transient fault: try the same batch, with the same key, later */
  | { outcome: 'retry', status?: number, error: string, retryAfterMs?: number }
  /** the batch holds a record the upstream refuses: split it until the record is alone, then park it */
  | { outcome: 'split', status?: number, error: string }
  /** the upstream refuses everything for a reason an operator must fix (credentials, URL): retry slowly */
  | { outcome: 'config', status?: number, error: string }

export interface Sink {
  /** for logs and metrics */
  readonly name: string
  /** Never rejects: every failure is a result. `signal` aborts the attempt (the gateway is stopping). */
  deliver (batch: UpstreamBatch, signal: AbortSignal): Promise<SinkResult>
  close? (): Promise<void>
}
