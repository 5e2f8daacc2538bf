/**
 * Starting a fleet of simulated devices without making the simulator's own start a thundering herd: each
 * member starts at its own moment within a window, and, when asked, no more than `maxPending` members are
 * connecting at once. A herd (every device at once) stays a scenario the engine asks for on purpose, with
 * `windowMs: 0` and no `maxPending`.
 *
 * Why a bound on connecting members and not only a window: the gateway admits connections at its own
 * pace (bench/fleet-scale.ts measures it; docs/BENCHMARKS.md, "Post-outage drain: 10,000 devices × 300 punches reconnect at once"), and a device that
 * waits longer than `uplink.connectTimeoutMs` for its CONNACK gives up and tries again. Unbounded, a large
 * fleet started within seconds turns into several attempts per device (and the dead attempts' TIME_WAIT
 * sockets exhaust the ephemeral ports); bounded, the same fleet connects at the gateway's own pace.
 *
 * One timer walks the schedule, rather than one timer per device: a pending timer per device costs more
 * than the connects it spreads.
 */
export { connectLite, LiteClient, MqttRefusal } from './lite-client.js'

export interface Startable {
  start: () => void
}

/**
 * When each of `n` members starts, in ms from now, ascending: the window is cut into `n` equal slots and
 * each member starts at a random point of its own slot, so starts are even on average yet never in
 * lockstep (no periodic burst a fixed spacing would make across several fleets).
 */
export function staggerOffsets (n: number, windowMs: number, random: () => number = Math.random): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`fleet size: must be an integer >= 0 (got ${String(n)})`)
  if (!(windowMs >= 0) || !Number.isFinite(windowMs)) throw new RangeError(`stagger window: must be a number of ms >= 0 (got ${String(windowMs)})`)
  const out = new Array<number>(n)
  const slot = n === 0 ? 0 : windowMs / n
  for (let i = 0; i < n; i++) out[i] = windowMs === 0 ? 0 : Math.floor((i + random()) * slot)
  return out
}

export interface StaggeredStart {
  /** resolves once every member has been started (or the start was cancelled) */
  done: Promise<void>
  /** members not started yet stay unstarted */
  cancel: () => void
  /** member `index` is through connecting (online, or given up on): it frees its place under maxPending */
  settled: (index: number) => void
  /** how many have been started so far */
  readonly started: number
}

export interface StaggerOptions {
  /** 0 starts every member in the same tick: the thundering herd */
  windowMs: number
  random?: () => number
  /**
   * at most this many members started and not yet `settled()`; later members wait past their time.
   * Unbounded by default.
   */
  maxPending?: number
  /** a member not settled this long after its start stops holding a place (a device that cannot connect) */
  settleTimeoutMs?: number
}

const NOT_STARTED = 0
const PENDING = 1
const SETTLED = 2

export function startStaggered (members: readonly Startable[], o: StaggerOptions): StaggeredStart {
  const n = members.length
  const offsets = staggerOffsets(n, o.windowMs, o.random)
  const maxPending = o.maxPending ?? Infinity
  if (!(maxPending >= 1)) throw new RangeError(`maxPending: must be at least 1 (got ${String(o.maxPending)})`)
  const settleTimeoutMs = o.settleTimeoutMs ?? 30_000
  const state = new Uint8Array(n).fill(NOT_STARTED)
  const startedAt = new Float64Array(n)
  const t0 = Date.now()
  let next = 0
  /** members before this index are settled or timed out: the oldest place still held is at or after it */
  let oldest = 0
  let pending = 0
  let cancelled = false
  let timer: NodeJS.Timeout | undefined
  let finish!: () => void
  const done = new Promise<void>(resolve => { finish = resolve })

  const release = (i: number): void => {
    if (state[i] !== PENDING) return
    state[i] = SETTLED
    pending--
  }

  const step = (): void => {
    clearTimeout(timer)
    timer = undefined
    if (cancelled) return
    const now = Date.now()
    while (oldest < next && (state[oldest] !== PENDING || now - startedAt[oldest] >= settleTimeoutMs)) release(oldest++)
    while (next < n && offsets[next] <= now - t0 && pending < maxPending) {
      state[next] = PENDING
      startedAt[next] = now
      pending++
      members[next++].start()
    }
    if (next >= n) { finish(); return }
    // Wake for the next member's time, or, when places are full, for the oldest place to time out; a
    // settle() wakes it sooner.
    const due = pending < maxPending ? t0 + offsets[next] : startedAt[oldest] + settleTimeoutMs
    timer = setTimeout(step, Math.max(0, due - now))
  }
  step()
  return {
    done,
    cancel: () => {
      cancelled = true
      clearTimeout(timer)
      timer = undefined
      finish()
    },
    settled: (index: number) => {
      const wasFull = pending >= maxPending
      release(index)
      if (wasFull && pending < maxPending && next < n && !cancelled) step()
    },
    get started () { return next }
  }
}
