/**
 * The rule every fault run ends on (docs/FAULTS.md, "The reconciliation rule"), on top of the one
 * reconciliation the simulator uses too (sim/engine/fate-reconcile.ts). Every punch that must be upstream
 * is there, with the content it was taken with: for the gateway's faults, every punch the gateway
 * acknowledged to its device; for a device power cut, every punch the device confirmed to the person.
 * Duplicates upstream are counted by kind, and bounded.
 */
import type { FateLedger } from '../sim/engine/fate-ledger.js'
import { NOWHERE, reconcileFates, type Copies, type UpstreamView } from '../sim/engine/fate-reconcile.js'

/** lost ids named in the report */
const LOST_IDS_NAMED = 10

export interface Reconciliation extends Omit<Copies, 'doubledPunches'> {
  /** the punches that must be upstream */
  expected: number
  delivered: number
  lost: number
  /** the first few lost ids, for the report */
  lostIds: string[]
  /** delivered, but with other content than the device took: a seq used for two punches */
  altered: number
  /** expected punches parked in dead letters on purpose (a poison record) */
  parked: number
  /** ids upstream that no device took */
  unexpected: number
}

export interface ReconcileOptions {
  /** which punches must be upstream: those the gateway acknowledged (default), or every punch taken */
  must?: 'acked' | 'taken'
  /** ids that may be missing because the gateway parked them in dead letters (and it did) */
  parked?: ReadonlySet<string>
}

/**
 * A fault run's reconciliation: nothing is pending any more (the run waited for the drain), so a punch
 * that must be upstream and is not is lost, unless it is one of `parked`.
 */
export function reconcileRun (truth: FateLedger, upstream: UpstreamView, o: ReconcileOptions = {}): Reconciliation {
  const r = reconcileFates(truth, upstream, { ...NOWHERE, deadLettered: o.parked ?? NOWHERE.deadLettered }, { accountFor: o.must ?? 'acked' })
  const { duplicates, resent, storedAgain, other } = r.copies
  return {
    expected: r.accountedFor,
    delivered: r.fates.delivered,
    lost: r.fates.unexplained,
    lostIds: r.unexplainedIds.slice(0, LOST_IDS_NAMED),
    altered: r.altered,
    parked: r.fates.deadLettered,
    unexpected: r.fates.unexpectedUpstream,
    duplicates,
    resent,
    storedAgain,
    other
  }
}

export interface Allowed {
  /** the most duplicates in all */
  bound: number
  /** the most copies of punches stored twice (0 unless the fault deletes what the gateway stored) */
  storedAgain?: number
  /** the most ids upstream that no device confirmed (appends in progress at a power cut) */
  unexpected?: number
}

/** The problems the rule finds: any loss, any altered punch, duplicates beyond what the fault allows. */
export function judge (r: Reconciliation, allowed: Allowed): string[] {
  const problems: string[] = []
  if (r.lost > 0) problems.push(`${r.lost} punches acknowledged and never delivered (${r.lostIds.join(', ')})`)
  if (r.altered > 0) problems.push(`${r.altered} punches delivered with other content than the device took: a seq was used twice`)
  if (r.duplicates > allowed.bound) problems.push(`${r.duplicates} duplicates upstream, over the bound of ${allowed.bound}`)
  if (r.other > 0) problems.push(`${r.other} copies of punches stored once went out again under a new Idempotency-Key`)
  if (r.storedAgain > (allowed.storedAgain ?? 0)) problems.push(`${r.storedAgain} copies of punches the gateway stored a second time, over the ${allowed.storedAgain ?? 0} allowed`)
  if (r.unexpected > (allowed.unexpected ?? 0)) problems.push(`${r.unexpected} punches upstream that no device took`)
  return problems
}
