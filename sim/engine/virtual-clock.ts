/**
 * The simulation's time. Everything that stamps, ages or flags a punch (device clocks, rings'
 * retention, the gateway's `received` and rules) reads this clock, so 72 hours of site life pass in
 * seconds; sockets, SQLite and the uplink's own timers run in real time underneath. The clock only moves
 * when the engine moves it, one step at a time, after the system has settled: a run is repeatable for
 * its seed.
 */
export class VirtualClock {
  #now: number
  readonly startMs: number

  constructor (startMs: number) {
    this.startMs = startMs
    this.#now = startMs
  }

  /** ms since 1970, virtual. Bound, so it can be handed around as a plain function. */
  readonly now = (): number => this.#now

  /** ms of virtual time since the start */
  get elapsed (): number { return this.#now - this.startMs }

  advanceTo (t: number): void {
    if (t < this.#now) throw new RangeError(`virtual time cannot go back (${t} < ${this.#now})`)
    this.#now = t
  }
}
