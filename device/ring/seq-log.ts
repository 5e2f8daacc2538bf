/**
 * (seq, slot) pairs in the order seqs were assigned, so ascending by seq: finding a seq's slot is a binary
 * search and walking pending punches newest or oldest first needs no sort. An entry goes stale when its
 * slot is reused; stale entries are skipped by the owner and dropped when the log fills up, which happens
 * once per `slack` appends at most, so the cost per append stays constant.
 */
export class SeqLog {
  seqs: Float64Array
  slots: Int32Array
  length = 0
  /** the most entries the log ever holds: `live + slack` */
  readonly max: number

  /**
   * `live` is the most entries that can be current at once (the capacity); `slack` sets how often to
   * compact. `initial` entries are allocated up front and the arrays double up to `max` as needed (the
   * simulator's thousands of in-memory rings); a device's file ring allocates everything at start.
   */
  constructor (live: number, slack: number, initial = live + slack) {
    this.max = live + slack
    const size = Math.min(this.max, Math.max(16, initial))
    this.seqs = new Float64Array(size)
    this.slots = new Int32Array(size)
  }

  get full (): boolean { return this.length === this.max }

  /** `seq` must be greater than every seq pushed before. */
  push (seq: number, slot: number): void {
    if (this.length === this.seqs.length) this.#grow()
    this.seqs[this.length] = seq
    this.slots[this.length] = slot
    this.length++
  }

  #grow (): void {
    const size = Math.min(this.max, this.seqs.length * 2)
    const seqs = new Float64Array(size)
    const slots = new Int32Array(size)
    seqs.set(this.seqs)
    slots.set(this.slots)
    this.seqs = seqs
    this.slots = slots
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
