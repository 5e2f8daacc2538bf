/**
 * (seq, slot) pairs in the order seqs were assigned, so ascending by seq: finding a seq's slot is a binary
 * search and walking pending punches newest or oldest first needs no sort. An entry goes stale when its
 * slot is reused; stale entries are skipped by the owner and dropped when the log fills up, which happens
 * once per `slack` appends at most, so the cost per append stays constant.
 */
export class SeqLog {
  readonly seqs: Float64Array
  readonly slots: Int32Array
  length = 0

  /** `live` is the most entries that can be current at once (the capacity); `slack` sets how often to compact. */
  constructor (live: number, slack: number) {
    this.seqs = new Float64Array(live + slack)
    this.slots = new Int32Array(live + slack)
  }

  get full (): boolean { return this.length === this.seqs.length }

  /** `seq` must be greater than every seq pushed before. */
  push (seq: number, slot: number): void {
    this.seqs[this.length] = seq
    this.slots[this.length] = slot
    this.length++
  }

  /** The position of `seq`, or -1. */
  find (seq: number): number {
    let lo = 0
    let hi = this.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const s = this.seqs[mid]
      if (s === seq) return mid
      if (s < seq) lo = mid + 1
      else hi = mid - 1
    }
    return -1
  }

  compact (isCurrent: (seq: number, slot: number) => boolean): void {
    let n = 0
    for (let i = 0; i < this.length; i++) {
      if (!isCurrent(this.seqs[i], this.slots[i])) continue
      this.seqs[n] = this.seqs[i]
      this.slots[n] = this.slots[i]
      n++
    }
    this.length = n
  }
}
