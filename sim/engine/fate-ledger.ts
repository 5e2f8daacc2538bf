/**
 * The ground truth of a simulated site: every punch a device took and what became of it as far as the
 * device heard (acknowledged, rejected for good, overwritten before either). The scenario engine
 * (engine.ts) and the fault suite (faults/judge.ts) both keep one; fate-reconcile.ts holds it against what
 * the upstream received and what is still on the way.
 *
 * A run of ten thousand devices holds millions of punches, so the ledger keeps them as the protocol
 * numbers them, per device epoch in arrays indexed by seq (seqs start at 1 and never repeat within an
 * epoch: docs/ARCHITECTURE.md, decision 1), not as a map entry and an object per punch id
 * (docs/DESIGN-NOTES.md, "One fate ledger, one reconciliation").
 */
export type Fate = 'pending' | 'acked' | 'rejected' | 'overwritten'

/** A fate's code is its index + 1; 0 marks a seq the device never took (a torn append, an unused slot). */
const FATES: readonly Fate[] = ['pending', 'acked', 'rejected', 'overwritten']
const NOT_TAKEN = 0
const PENDING = 1

/** Room for this many seqs when a device epoch takes its first punch; doubled as it fills. */
const FIRST_ROOM = 16
/**
 * The most a seq may run ahead of its epoch's highest so far. A device numbers its punches one by one,
 * so a larger leap is a wrong id, and would cost the ledger room for every seq in between.
 */
export const MAX_SEQ_LEAP = 1 << 20

/** One device epoch's punches, by seq. */
class EpochPunches {
  fates = new Uint8Array(FIRST_ROOM)
  takenAt = new Float64Array(FIRST_ROOM)
  /** emp per seq, only once a caller gives one (the fault suite's content check) */
  emps?: Array<string | undefined>
  top = 0

  room (seq: number): void {
    if (seq < this.fates.length) return
    let size = this.fates.length
    while (size <= seq) size *= 2
    const fates = new Uint8Array(size)
    fates.set(this.fates)
    const takenAt = new Float64Array(size)
    takenAt.set(this.takenAt)
    this.fates = fates
    this.takenAt = takenAt
  }
}

/** What a visit of the ledger sees of one punch. */
export type Visit = (id: string, fate: Fate, takenAt: number, emp: string | undefined) => void

export class FateLedger {
  /** `device:epoch` → its punches */
  readonly #epochs = new Map<string, EpochPunches>()
  #size = 0
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

  /**
   * A device took punch `id` (`device:epoch:seq`, shared/punch.ts) at `takenAt` (the scenario's virtual
   * time; the fault suite's real time), for `emp` when the caller wants its content checked.
   */
  taken (id: string, takenAt: number, emp?: string): void {
    const cut = id.lastIndexOf(':')
    const seq = seqOf(id, cut)
    if (cut <= 0 || seq === undefined) throw new Error(`fate ledger: ${JSON.stringify(id)} is not a punch id (device:epoch:seq, seq from 1)`)
    const key = id.slice(0, cut)
    let e = this.#epochs.get(key)
    if (e === undefined) this.#epochs.set(key, e = new EpochPunches())
    if (seq > e.top + MAX_SEQ_LEAP) throw new Error(`fate ledger: ${id} leaps more than ${MAX_SEQ_LEAP} seqs past ${key}:${e.top}`)
    e.room(seq)
    if (e.fates[seq] === NOT_TAKEN) this.#size++
    e.fates[seq] = PENDING
    e.takenAt[seq] = takenAt
    if (emp !== undefined) (e.emps ??= [])[seq] = emp
    else if (e.emps !== undefined) e.emps[seq] = undefined
    if (seq > e.top) e.top = seq
  }

  /** Moves a pending punch to its fate; later news about it (a resend acked again) changes nothing. */
  settle (id: string, fate: Exclude<Fate, 'pending'>): void {
    const at = this.#find(id)
    if (at === undefined || at.e.fates[at.seq] !== PENDING) return
    at.e.fates[at.seq] = FATES.indexOf(fate) + 1
    if (fate === 'acked') this.acked++
    else if (fate === 'overwritten') this.overwritten++
  }

  /** punches taken */
  get size (): number { return this.#size }

  /** the fate of punch `id`, undefined if no device took it */
  fate (id: string): Fate | undefined {
    const at = this.#find(id)
    return at === undefined ? undefined : FATES[at.e.fates[at.seq] - 1]
  }

  has (id: string): boolean { return this.#find(id) !== undefined }

  /** Every punch taken, device epoch by device epoch in the order they first punched, each by seq. */
  visit (see: Visit): void {
    for (const [key, e] of this.#epochs) {
      for (let seq = 1; seq <= e.top; seq++) {
        const code = e.fates[seq]
        if (code !== NOT_TAKEN) see(`${key}:${seq}`, FATES[code - 1], e.takenAt[seq], e.emps?.[seq])
      }
    }
  }

  /** The ids of the punches taken (with `fate`, those at that fate), in visit() order, one at a time. */
  * ids (fate?: Fate): Generator<string, void, undefined> {
    const code = fate === undefined ? undefined : FATES.indexOf(fate) + 1
    for (const [key, e] of this.#epochs) {
      for (let seq = 1; seq <= e.top; seq++) {
        const c = e.fates[seq]
        if (c !== NOT_TAKEN && (code === undefined || c === code)) yield `${key}:${seq}`
      }
    }
  }

  count (fate: Fate): number {
    const code = FATES.indexOf(fate) + 1
    let n = 0
    for (const e of this.#epochs.values()) for (let seq = 1; seq <= e.top; seq++) if (e.fates[seq] === code) n++
    return n
  }

  #find (id: string): { e: EpochPunches, seq: number } | undefined {
    const cut = id.lastIndexOf(':')
    const e = cut > 0 ? this.#epochs.get(id.slice(0, cut)) : undefined
    if (e === undefined) return undefined
    const seq = seqOf(id, cut)
    if (seq === undefined || seq > e.top || e.fates[seq] === NOT_TAKEN) return undefined
    return { e, seq }
  }
}

/** The seq after the last ':' of `id`, if written as punchId() writes it (no sign, no leading zero). */
function seqOf (id: string, cut: number): number | undefined {
  const text = id.slice(cut + 1)
  const seq = Number(text)
  return Number.isSafeInteger(seq) && seq >= 1 && String(seq) === text ? seq : undefined
}
