/**
 * The simulator's ground truth: every punch a simulated person made and what became of it, and at the
 * end the reconciliation against what the upstream received and what the gateway still holds. A punch
 * is "unexplained" only when nothing accounts for its absence upstream: that, or a duplicate beyond what
 * at-least-once delivery allows, fails the run.
 */
import type { FateCounts } from '../report/types.js'

export type Fate = 'pending' | 'acked' | 'rejected' | 'overwritten'

interface Entry {
  fate: Fate
  /** virtual time the person punched (the truth, whatever the device's clock said) */
  takenAt: number
}

export interface UpstreamView {
  /** punch id → copies received */
  counts: ReadonlyMap<string, number>
  /** punch id → flags it arrived with */
  flags: ReadonlyMap<string, readonly string[]>
  /** punch id → virtual time of its first arrival */
  arrivedAt: ReadonlyMap<string, number>
  /** punch id → copies that came in a batch re-sent under the same Idempotency-Key (fakes/upstream/webhook-upstream.ts) */
  retried?: ReadonlyMap<string, number>
}

export interface GatewayView {
  /** ids stored and not yet delivered (past the cursor, in outbox batches) */
  pending: ReadonlySet<string>
  /** ids parked in dead letters */
  deadLettered: ReadonlySet<string>
}

export const LATENESS_BUCKETS = [60_000, 15 * 60_000, 3_600_000, 24 * 3_600_000, 72 * 3_600_000, Infinity]

export interface Reconciled {
  fates: FateCounts
  lateness: Array<{ upToMs: number, count: number }>
  flags: Record<string, number>
  unexplainedIds: string[]
}

export class FateLedger {
  readonly #entries = new Map<string, Entry>()
  /** appends a full ring turned away: never stored, the terminal said so */
  refused = 0
  /** punches lost to a power cut during their write: never confirmed to the person */
  torn = 0
  /** reads the device's duplicate-read check turned away (device/runtime.ts): never stored, by design */
  duplicateReads = 0
  attempted = 0
  /** running counts, for progress samples (count() walks every entry) */
  acked = 0
  overwritten = 0

  taken (id: string, takenAt: number): void {
    this.#entries.set(id, { fate: 'pending', takenAt })
  }

  /** Moves a pending punch to its fate; later news about it (a resend acked again) changes nothing. */
  settle (id: string, fate: Exclude<Fate, 'pending'>): void {
    const e = this.#entries.get(id)
    if (e === undefined || e.fate !== 'pending') return
    e.fate = fate
    if (fate === 'acked') this.acked++
    else if (fate === 'overwritten') this.overwritten++
  }

  get size (): number { return this.#entries.size }

  /** The acknowledged punches as if an upstream had them once each (remote mode: the gateway is the end). */
  ackedView (): UpstreamView {
    const counts = new Map<string, number>()
    for (const [id, e] of this.#entries) if (e.fate === 'acked') counts.set(id, 1)
    return { counts, flags: new Map(), arrivedAt: new Map() }
  }

  count (fate: Fate): number {
    let n = 0
    for (const e of this.#entries.values()) if (e.fate === fate) n++
    return n
  }

  reconcile (up: UpstreamView, gw: GatewayView, pendingOnDevices: ReadonlySet<string>): Reconciled {
    const f = noFates()
    f.generated = this.attempted
    f.refused = this.refused + this.torn
    f.duplicateReads = this.duplicateReads
    const lateness = LATENESS_BUCKETS.map(upToMs => ({ upToMs, count: 0 }))
    const flags: Record<string, number> = {}
    const unexplainedIds: string[] = []
    for (const [id, e] of this.#entries) {
      const times = up.counts.get(id) ?? 0
      if (times > 0) {
        f.delivered++
        // A batch sent again under its Idempotency-Key is at-least-once delivery as the protocol has it;
        // any other extra copy is a duplicate nothing explains.
        const retried = Math.min(times - 1, up.retried?.get(id) ?? 0)
        f.retriedCopies += retried
        if (times - 1 - retried > 0) { f.duplicatePunches++; f.duplicateDeliveries += times - 1 - retried }
        const fl = up.flags.get(id) ?? []
        if (fl.length > 0) f.deliveredFlagged++
        for (const name of fl) flags[name] = (flags[name] ?? 0) + 1
        const late = (up.arrivedAt.get(id) ?? e.takenAt) - e.takenAt
        const bucket = lateness.find(b => late < b.upToMs) ?? lateness[lateness.length - 1]
        bucket.count++
      } else if (e.fate === 'overwritten') f.overwritten++
      else if (e.fate === 'rejected') f.rejected++
      else if (gw.deadLettered.has(id)) f.deadLettered++
      else if (gw.pending.has(id) || pendingOnDevices.has(id)) f.pending++
      else {
        // Acknowledged (or taken) and neither upstream, nor at the gateway, nor on the device: lost.
        f.unexplained++
        if (unexplainedIds.length < 200) unexplainedIds.push(id)
      }
    }
    for (const id of up.counts.keys()) if (!this.#entries.has(id)) f.unexpectedUpstream++
    return { fates: f, lateness, flags, unexplainedIds }
  }
}

/** Every fate at zero: the start of a reconciliation. */
export function noFates (): FateCounts {
  return {
    generated: 0,
    delivered: 0,
    deliveredFlagged: 0,
    refused: 0,
    duplicateReads: 0,
    overwritten: 0,
    rejected: 0,
    deadLettered: 0,
    pending: 0,
    unexplained: 0,
    duplicatePunches: 0,
    duplicateDeliveries: 0,
    retriedCopies: 0,
    unexpectedUpstream: 0
  }
}
