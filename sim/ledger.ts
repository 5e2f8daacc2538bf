/**
 * The simulator's ground truth: every punch it generated and what became of it, reconciled against what
 * the upstream sink received. A punch is "lost" only when nothing explains its absence upstream.
 */
import { punchId } from '../shared/punch.js'
// The quick run's ledger until it becomes a generated scenario; the fates are the engine's.
import type { Fate } from './engine/fate-ledger.js'

interface Entry {
  fate: Fate
}

export interface Reconciliation {
  generated: number
  refused: number
  acked: number
  rejected: number
  overwritten: number
  pendingOnDevices: number
  delivered: number
  deliveredLate: number
  duplicated: number
  duplicateDeliveries: number
  unexpectedUpstream: number
  lost: number
  lostIds: string[]
}

export class Ledger {
  readonly #entries = new Map<string, Entry>()
  refused = 0

  generated (device: string, epoch: string, seq: number): void {
    this.#entries.set(punchId(device, epoch, seq), { fate: 'pending' })
  }

  set (device: string, epoch: string, seq: number, fate: Fate): void {
    const e = this.#entries.get(punchId(device, epoch, seq))
    if (e !== undefined && e.fate === 'pending') e.fate = fate
  }

  get size (): number { return this.#entries.size }

  count (fate: Fate): number {
    let n = 0
    for (const e of this.#entries.values()) if (e.fate === fate) n++
    return n
  }

  /**
   * @param upstream punch id → how many times the sink received it; undefined when the simulator cannot
   *   see the upstream (remote mode), and then only the devices' side is reconciled
   * @param lateIds ids that arrived upstream flagged late-sync or expired
   */
  reconcile (upstream: ReadonlyMap<string, number> | undefined, lateIds: ReadonlySet<string> = new Set()): Reconciliation {
    const r: Reconciliation = {
      generated: this.#entries.size,
      refused: this.refused,
      acked: 0,
      rejected: 0,
      overwritten: 0,
      pendingOnDevices: 0,
      delivered: 0,
      deliveredLate: 0,
      duplicated: 0,
      duplicateDeliveries: 0,
      unexpectedUpstream: 0,
      lost: 0,
      lostIds: []
    }
    for (const [id, e] of this.#entries) {
      if (e.fate === 'acked') r.acked++
      else if (e.fate === 'rejected') r.rejected++
      else if (e.fate === 'overwritten') r.overwritten++
      else r.pendingOnDevices++
      if (upstream === undefined) continue
      const times = upstream.get(id) ?? 0
      if (times > 0) {
        r.delivered++
        if (lateIds.has(id)) r.deliveredLate++
        if (times > 1) { r.duplicated++; r.duplicateDeliveries += times - 1 }
      } else if (e.fate === 'acked') {
        // Acknowledged by the gateway but never seen upstream: the one thing that must not happen.
        r.lost++
        if (r.lostIds.length < 20) r.lostIds.push(id)
      }
    }
    if (upstream !== undefined) for (const id of upstream.keys()) if (!this.#entries.has(id)) r.unexpectedUpstream++
    return r
  }
}

export function formatReconciliation (r: Reconciliation): string {
  const rows: Array<[string, number]> = [
    ['generated (stored on devices)', r.generated],
    ['refused by a full ring', r.refused],
    ['acknowledged by the gateway', r.acked],
    ['rejected by the gateway', r.rejected],
    ['overwritten on devices', r.overwritten],
    ['still pending on devices', r.pendingOnDevices],
    ['delivered upstream', r.delivered],
    ['  of which flagged late', r.deliveredLate],
    ['duplicated upstream', r.duplicated],
    ['unexpected upstream', r.unexpectedUpstream],
    ['LOST (acked, never delivered)', r.lost]
  ]
  const w = Math.max(...rows.map(([k]) => k.length))
  const lines = rows.map(([k, v]) => `  ${k.padEnd(w)}  ${String(v).padStart(8)}`)
  if (r.lostIds.length > 0) lines.push(`  lost ids (first ${r.lostIds.length}): ${r.lostIds.join(', ')}`)
  return lines.join('\n')
}

/** True when every generated punch is explained and nothing arrived twice or from nowhere. */
export function clean (r: Reconciliation): boolean {
  return r.lost === 0 && r.duplicated === 0 && r.unexpectedUpstream === 0 && r.pendingOnDevices === 0
}
