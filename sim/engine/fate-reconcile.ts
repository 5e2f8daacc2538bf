/**
 * The one reconciliation of a fate ledger (fate-ledger.ts) against what the upstream received and what
 * is still on the way, for the scenario engine (engine.ts, its checks in checks.ts) and the fault suite
 * (faults/judge.ts, the rule that fails a fault run) alike.
 *
 * Each punch accounted for lands in one fate: delivered (upstream at least once, whatever the device
 * heard), else overwritten, rejected, parked in dead letters, pending (at the gateway or on its device),
 * or unexplained: nothing accounts for its absence upstream. Each copy upstream beyond the first of a
 * punch id is one of three kinds (docs/FAULTS.md, "The reconciliation rule"): re-sent under an
 * Idempotency-Key the upstream had accepted, stored again by the gateway, or other.
 */
import type { FateCounts } from '../report/types.js'
import type { FateLedger } from './fate-ledger.js'

/** What the upstream received (fakes/upstream/webhook-upstream.ts), by punch id. */
export interface UpstreamView {
  /** copies accepted */
  counts: ReadonlyMap<string, number>
  /** of them, copies in a request repeating an Idempotency-Key already accepted (a batch whose answer was lost) */
  retried?: ReadonlyMap<string, number>
  /** of them, copies the gateway had stored a second time: their `received` differs from the copy before (faults/site.ts) */
  storedAgain?: ReadonlyMap<string, number>
  /** the last copy accepted, for the content check (against the emp the ledger has, where it has one) */
  punches?: ReadonlyMap<string, { readonly emp: string }>
  /** flags of the copy */
  flags?: ReadonlyMap<string, readonly string[]>
  /** virtual time of the first arrival */
  arrivedAt?: ReadonlyMap<string, number>
}

/** Where a punch that is not upstream may still be. */
export interface Holdings {
  /** stored at the gateway and not yet delivered (past the cursor, in outbox batches) */
  atGateway: ReadonlySet<string>
  /** parked in the gateway's dead letters */
  deadLettered: ReadonlySet<string>
  /** unacknowledged on its device */
  onDevices: ReadonlySet<string>
}

export const NOWHERE: Holdings = { atGateway: new Set(), deadLettered: new Set(), onDevices: new Set() }

export interface ReconcileOptions {
  /**
   * which punches must be accounted for: every punch taken (the default: the simulator, a device's power
   * cut), or only those the gateway acknowledged (a gateway fault: a punch never acknowledged is still its
   * device's business)
   */
  accountFor?: 'taken' | 'acked'
}

/** Copies upstream beyond the first of each punch id, by kind. */
export interface Copies {
  duplicates: number
  /** in a request repeating an accepted Idempotency-Key: an upstream that honours the key takes them once */
  resent: number
  /** of punches the gateway stored a second time (its database lost, or retention deleted them) */
  storedAgain: number
  /** any other: a punch stored once and forwarded under two keys */
  other: number
  /** punch ids with a copy stored again or other */
  doubledPunches: number
}

export const LATENESS_BUCKETS = [60_000, 15 * 60_000, 3_600_000, 24 * 3_600_000, 72 * 3_600_000, Infinity]
/** unexplained ids kept for the report */
export const UNEXPLAINED_IDS_KEPT = 200

export interface Reconciled {
  fates: FateCounts
  /** delivered punches by lateness (first arrival - taken) */
  lateness: Array<{ upToMs: number, count: number }>
  /** delivered punches by flag */
  flags: Record<string, number>
  /** the first unexplained ids, in the ledger's order */
  unexplainedIds: string[]
  /** punches accounted for (all taken, or those acknowledged) */
  accountedFor: number
  /** delivered with another emp than the device took: a seq used for two punches */
  altered: number
  copies: Copies
}

export function reconcileFates (ledger: FateLedger, up: UpstreamView, holds: Holdings, o: ReconcileOptions = {}): Reconciled {
  const accountFor = o.accountFor ?? 'taken'
  const f = noFates()
  f.generated = ledger.attempted
  f.refused = ledger.refused + ledger.torn
  f.duplicateReads = ledger.duplicateReads
  const lateness = LATENESS_BUCKETS.map(upToMs => ({ upToMs, count: 0 }))
  const flags: Record<string, number> = {}
  const unexplainedIds: string[] = []
  let accountedFor = 0
  let altered = 0
  ledger.visit((id, fate, takenAt, emp) => {
    if (accountFor === 'acked' && fate !== 'acked') return
    accountedFor++
    if ((up.counts.get(id) ?? 0) > 0) {
      f.delivered++
      const got = emp === undefined ? undefined : up.punches?.get(id)
      if (got !== undefined && got.emp !== emp) altered++
      const fl = up.flags?.get(id) ?? []
      if (fl.length > 0) f.deliveredFlagged++
      for (const name of fl) flags[name] = (flags[name] ?? 0) + 1
      const late = (up.arrivedAt?.get(id) ?? takenAt) - takenAt
      const bucket = lateness.find(b => late < b.upToMs) ?? lateness[lateness.length - 1]
      bucket.count++
    } else if (fate === 'overwritten') f.overwritten++
    else if (fate === 'rejected') f.rejected++
    else if (holds.deadLettered.has(id)) f.deadLettered++
    else if (holds.atGateway.has(id) || holds.onDevices.has(id)) f.pending++
    else {
      // Acknowledged (or taken) and neither upstream, nor at the gateway, nor on the device: lost.
      f.unexplained++
      if (unexplainedIds.length < UNEXPLAINED_IDS_KEPT) unexplainedIds.push(id)
    }
  })
  const copies = copiesUpstream(up)
  f.duplicatePunches = copies.doubledPunches
  f.duplicateDeliveries = copies.storedAgain + copies.other
  f.retriedCopies = copies.resent
  for (const id of up.counts.keys()) if (!ledger.has(id)) f.unexpectedUpstream++
  return { fates: f, lateness, flags, unexplainedIds, accountedFor, altered, copies }
}

/**
 * The copies upstream beyond the first of every punch id, whoever took it. A copy is counted re-sent
 * first, then stored again, then other, and no punch id has more of a kind than it has copies.
 */
export function copiesUpstream (up: UpstreamView): Copies {
  const c: Copies = { duplicates: 0, resent: 0, storedAgain: 0, other: 0, doubledPunches: 0 }
  for (const [id, times] of up.counts) {
    const extra = times - 1
    if (extra <= 0) continue
    const resent = Math.min(extra, up.retried?.get(id) ?? 0)
    const again = Math.min(extra - resent, up.storedAgain?.get(id) ?? 0)
    c.duplicates += extra
    c.resent += resent
    c.storedAgain += again
    c.other += extra - resent - again
    if (extra > resent) c.doubledPunches++
  }
  return c
}

/** The acknowledged punches as if an upstream had them once each (remote mode: the gateway is the end). */
export function ackedAsDelivered (ledger: FateLedger): UpstreamView {
  const counts = new Map<string, number>()
  ledger.visit((id, fate) => { if (fate === 'acked') counts.set(id, 1) })
  return { counts }
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
