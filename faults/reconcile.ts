/**
 * The rule every fault run ends on. Every punch that must be upstream is there, with the content it was
 * taken with: for the gateway's faults, every punch the gateway acknowledged to its device; for a device
 * power cut, every punch the device confirmed to the person. Duplicates upstream are counted, and the
 * copies re-sent under an Idempotency-Key the upstream had already accepted (an upstream that honours the
 * key, as PROTOCOL.md asks, takes them once) are told apart from any other copy.
 */
import type { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'

/** What the devices know: each punch taken, and which of them the gateway acknowledged. */
export class PunchTruth {
  /** punch id → emp, for every punch a ring accepted (confirmed to the person) */
  readonly taken = new Map<string, string>()
  readonly acked = new Set<string>()
  readonly rejected = new Set<string>()

  take (id: string, emp: string): void { this.taken.set(id, emp) }
  ack (id: string): void { this.acked.add(id) }
  reject (id: string): void { this.rejected.add(id) }
}

/** What the reconciliation reads of the upstream's ledger (fakes/upstream/webhook-upstream.ts): only these, so a test can hand-make one. */
export type UpstreamLedger = Pick<WebhookUpstream, 'punches' | 'retried' | 'duplicates'>

/** What the reconciliation reads of the upstream: its ledger, and the copies it took of punches stored twice (site.ts). */
export interface UpstreamView {
  readonly sink: UpstreamLedger
  readonly storedAgain: number
}

/**
 * Copies beyond the first of each punch id the upstream accepted, in three kinds: re-sent under a key
 * the upstream had accepted (a batch whose answer was lost), stored again (the gateway stored the punch a
 * second time, after retention deleted it or its database was lost: the copy's `received` differs from
 * the copy before), and any other, which only a gateway forwarding one stored punch twice would make.
 */
export interface DuplicateCount {
  duplicates: number
  resent: number
  storedAgain: number
}

export function duplicateCount (u: UpstreamView): DuplicateCount {
  let resent = 0
  for (const n of u.sink.retried.values()) resent += n
  return { duplicates: u.sink.duplicates, resent, storedAgain: u.storedAgain }
}

export interface Reconciliation extends DuplicateCount {
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

export function reconcile (truth: PunchTruth, upstream: UpstreamView, o: ReconcileOptions = {}): Reconciliation {
  const sink = upstream.sink
  const must = o.must === 'taken' ? truth.taken.keys() : truth.acked.values()
  const r: Reconciliation = { expected: 0, delivered: 0, lost: 0, lostIds: [], altered: 0, parked: 0, unexpected: 0, ...duplicateCount(upstream) }
  for (const id of must) {
    r.expected++
    const got = sink.punches.get(id)
    if (got === undefined) {
      if (o.parked?.has(id) === true) { r.parked++; continue }
      r.lost++
      if (r.lostIds.length < 10) r.lostIds.push(id)
      continue
    }
    r.delivered++
    const emp = truth.taken.get(id)
    if (emp !== undefined && got.emp !== emp) r.altered++
  }
  for (const id of sink.punches.keys()) if (!truth.taken.has(id)) r.unexpected++
  return r
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
  const other = r.duplicates - r.resent - r.storedAgain
  if (other > 0) problems.push(`${other} copies of punches stored once went out again under a new Idempotency-Key`)
  if (r.storedAgain > (allowed.storedAgain ?? 0)) problems.push(`${r.storedAgain} copies of punches the gateway stored a second time, over the ${allowed.storedAgain ?? 0} allowed`)
  if (r.unexpected > (allowed.unexpected ?? 0)) problems.push(`${r.unexpected} punches upstream that no device took`)
  return problems
}
