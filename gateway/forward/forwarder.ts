/**
 * Moves stored punches to the upstream: forms outbox batches lazily, sends up to `concurrency` of them at
 * once, and acts on each answer: delivered (drop the batch), retry (same key, capped exponential backoff
 * with full jitter, Retry-After as a floor), split (poison isolation by halves, then dead letter), config
 * (an operator must fix something: retry at the backoff cap, dead-letter nothing).
 *
 * Transient failures are retried without a limit on attempts: a punch leaves the outbox only when the
 * upstream has it or it is parked in dead letters, so a week-long upstream outage loses nothing. The
 * bound is on the delay (backoff.capMs) and on the work in flight (concurrency × batchSize).
 */
import { EventEmitter } from 'node:events'
import { withDefaults } from '../../shared/options.js'
import { retryDelay, type BackoffPolicy } from '../../shared/backoff.js'
import type { Logger } from '../../shared/log.js'
import { isoUtc, localIso } from '../../shared/iso-time.js'
import type { UpstreamBatch, UpstreamManual, UpstreamPunch } from '../../shared/upstream.js'
import type { PunchKind, PunchMethod } from '../../shared/punch.js'
import type { ForwardBatch, ForwardStore, StoredPunch } from '../store/forward-store.js'
import { directOutboxWrites, type OutboxClaim, type OutboxWrites } from '../store/outbox-writes.js'
import type { Sink, SinkResult } from './sink.js'

export interface ForwarderOptions {
  store: ForwardStore
  /**
   * Where a delivery is recorded and new batches are formed (store/outbox-writes.ts): on the commit thread
   * when the commits run there; by default on `store`'s connection.
   */
  writes?: OutboxWrites
  sink: Sink
  gatewayId: string
  /** most punches per upstream request */
  batchSize: number
  /** how long a partial batch waits for more punches before it is sent anyway */
  lingerMs: number
  /** upstream requests in flight at once */
  concurrency: number
  /**
   * Batches the upstream has taken whose delivery may still be on its way to the disk (OutboxWrites.complete,
   * committed with the commit thread's next group) while further requests go. A kill -9 may send these
   * again, under their keys, with the requests in flight: at most `concurrency` + this many batches. 0 (the
   * default here): a request's slot stays taken until its delivery is recorded.
   */
  unrecorded?: number
  backoff: BackoffPolicy
  logger: Logger
  now?: () => number
  random?: () => number
  /** how often the outbox is looked at without a notify (replays from the CLI, due retries) */
  pollMs?: number
  /** the longest Retry-After honoured; a longer one is clamped so a typo upstream cannot park us for days */
  maxRetryAfterMs?: number
  /** how long stop() waits for requests in flight before aborting them (their batches stay in the outbox) */
  stopGraceMs?: number
  /**
   * How long past the sink's own deadline (Sink.deadlineMs) a delivery may stay outstanding before the
   * watchdog aborts it: a defence against a sink whose timer failed, so a slot is never held for ever.
   */
  watchdogGraceMs?: number
  /**
   * What the gateway knows about a stored punch at the moment it is sent: the roster's employee and the
   * site (carried upstream), and a reason to hold it back for a mapping instead (`roster.unknown` = 'hold').
   * Asked at send time, so a roster entry added after the punch arrived still applies.
   */
  describe?: (p: StoredPunch) => PunchDescription
}

export interface PunchDescription {
  employee?: string
  site?: string
  /** why the punch waits for a mapping instead of going out now */
  hold?: string
  /** `manual` in full, for a make-up punch an operator approved (gateway/store/makeup-store.ts) */
  manual?: UpstreamManual
}

export type FailureKind = 'retry' | 'split' | 'config' | 'park'

export interface ForwarderStats {
  delivered: number
  deliveredBatches: number
  deadLettered: number
  failures: { retry: number, split: number, config: number, park: number }
  inFlight: number
  lastError: string | null
  lastDeliveredAt: number | null
  /** the last time the upstream answered anything at all (a delivery, a refusal, an HTTP error status) */
  lastAnsweredAt: number | null
  /** deliveries the watchdog aborted because they outlived their sink's deadline */
  watchdogAborts: number
  /** since when every attempt has failed (a retry or a refusal of the gateway), while one probe at a time goes; null when the upstream answers */
  failingSince: number | null
}

/** One delivery in flight, as the alarms and /metrics see it. */
export interface InFlightDelivery {
  startedAt: number
  /** the longest its sink says it takes (Sink.deadlineMs); null when the sink does not say */
  deadlineMs: number | null
}

interface Delivery extends InFlightDelivery {
  done: Promise<void>
  /** aborts this delivery alone: the watchdog; stop() aborts them all */
  readonly controller: AbortController
  watchdog?: NodeJS.Timeout
}

export interface ForwarderEvents {
  delivered: [punches: number, key: string]
  'dead-letter': [punches: number, reason: string]
  /** punches parked to wait for a roster entry or an upstream mapping */
  parked: [punches: number, reason: string]
  failure: [kind: FailureKind, error: string]
}

export class Forwarder extends EventEmitter<ForwarderEvents> {
  readonly #o: Required<Omit<ForwarderOptions, 'now' | 'random' | 'describe' | 'writes'>>
  readonly #writes: OutboxWrites
  readonly #describe: (p: StoredPunch) => PunchDescription
  readonly #now: () => number
  readonly #random: () => number
  readonly #log: Logger
  readonly #inFlight = new Map<string, Delivery>()
  readonly #abort = new AbortController()
  readonly #stats: ForwarderStats = {
    delivered: 0, deliveredBatches: 0, deadLettered: 0, failures: { retry: 0, split: 0, config: 0, park: 0 }, inFlight: 0, lastError: null, lastDeliveredAt: null, lastAnsweredAt: null, watchdogAborts: 0, failingSince: null
  }

  /**
   * While the upstream fails (its last answer was a retry or a refusal of the gateway), one request at a
   * time probes it, on a backoff of its own, and no batch is formed of the backlog. Without it every slot a
   * fast failure (connection refused, an instant 503) freed formed the next batch and sent it at once: the
   * whole backlog went round as fast as the upstream refused it (test/forward-outage-probe.test.ts). Any
   * answer that is not a failure ends it, and the slots fill again.
   */
  #failing?: { since: number, failures: number, probeAt: number }

  /**
   * Batches whose attempt threw (the store could not record the outcome: a full disk, a lock) → when they
   * may go again, and how many times in a row that happened. In memory, since the store is what failed.
   * Without it a batch the upstream took but whose completion could not be written was sent again at once,
   * in a loop as fast as the upstream answered, for as long as the disk stayed full: the fault suite
   * (faults/disk-full.ts, SQLITE_FULL) counted over a thousand such re-deliveries in a few seconds.
   */
  readonly #heldBack = new Map<string, { until: number, failures: number }>()
  /**
   * Batch key → how many of its attempts this process saw refused in a way that says the upstream did not
   * take it (SinkResult.notTaken, or a configuration refusal). A batch all of whose attempts are counted
   * here may be merged with others into a new batch under a new key; one the upstream may have taken
   * (a timeout, a reset, a 502, an attempt before a restart) never is, and keeps its key.
   */
  readonly #refusedOnly = new Map<string, number>()
  /** the time the last #fill looked at the outbox with: what was due then, it sent if it had a slot */
  #filledAt = -Infinity
  #running = false
  #timer?: NodeJS.Timeout
  #timerAt = Infinity
  #pumping = false
  #pumpAgain = false
  /**
   * Delivered batches whose recording is on its way (OutboxWrites.complete): their rows are still in the
   * outbox, so they are skipped, not sent again, until it is committed.
   */
  readonly #settling = new Map<string, Promise<void>>()
  /**
   * The forwarder's last outbox write failed (a full disk: recording a delivery, or forming batches): until
   * one is made again, batches are formed one at a time and no more deliveries go unrecorded than
   * requests are in flight, as with `unrecorded` 0. A failed form is tried again after `pollMs`, not at
   * once. Without this, on a disk below its free-space floor, forms of 64 batches failed in a loop (336
   * times in one run of the fault suite's disk-full, floor mode), each taking with it the deliveries
   * recorded in the same transaction, which then went again under their keys (docs/FAULTS.md).
   */
  #writesFail = false
  /** when a failed form may be tried again, in performance.now() time (timers run in real time) */
  #formAgainAt = -Infinity
  /** slots held by the batches being formed (one request at a time), and its end */
  #forming = 0
  #formed: Promise<void> = Promise.resolve()

  constructor (opts: ForwarderOptions) {
    super()
    this.#o = withDefaults({ pollMs: 2000, maxRetryAfterMs: 15 * 60_000, stopGraceMs: 5000, watchdogGraceMs: WATCHDOG_GRACE_MS, unrecorded: 0 }, opts)
    this.#now = opts.now ?? Date.now
    this.#random = opts.random ?? Math.random
    this.#log = opts.logger
    this.#describe = opts.describe ?? (() => NOTHING)
    this.#writes = opts.writes ?? directOutboxWrites(opts.store)
  }

  /**
   * What the commit thread may claim ahead for this forwarder in a transaction that stores punches: full
   * batches, up to CLAIM_AHEAD_BATCHES due; nothing while stopped or while the upstream fails.
   */
  claimAhead (): OutboxClaim | undefined {
    if (!this.#running || this.#failing !== undefined) return undefined
    return { size: this.#batchSize, upTo: CLAIM_AHEAD_BATCHES, now: this.#now() }
  }

  /** The most punches in one request: the configured batch size, or less when the sink takes less. */
  get #batchSize (): number {
    return Math.min(this.#o.batchSize, this.#o.sink.maxBatch ?? Infinity)
  }

  start (): void {
    this.#running = true
    this.#pump()
  }

  /** New punches were committed: look at the outbox soon. Cheap to call on every commit. */
  notify (): void {
    if (!this.#running) return
    this.#wakeIn(0)
  }

  stats (): ForwarderStats {
    return { ...this.#stats, failures: { ...this.#stats.failures }, inFlight: this.#inFlight.size }
  }

  /** The deliveries in flight now: when each started, and its deadline. */
  inFlight (): InFlightDelivery[] {
    return [...this.#inFlight.values()].map(d => ({ startedAt: d.startedAt, deadlineMs: d.deadlineMs }))
  }

  /** Stops forming batches, waits a grace period for requests in flight, then aborts the rest. */
  async stop (): Promise<void> {
    this.#running = false
    clearTimeout(this.#timer)
    const pending = [...this.#inFlight.values()].map(d => d.done)
    if (pending.length === 0) return await this.#recorded()
    let grace: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.allSettled(pending),
      new Promise<void>(resolve => { grace = setTimeout(resolve, this.#o.stopGraceMs) })
    ])
    clearTimeout(grace)
    this.#abortAll()
    await Promise.allSettled(pending)
    await this.#recorded()
    await this.#o.sink.close?.()
  }

  /** The outbox writes under way have their answers (made, or failed). */
  async #recorded (): Promise<void> {
    await Promise.allSettled([...this.#settling.values(), this.#formed])
  }

  /**
   * Stops at once: requests in flight are aborted without their grace (the upstream may have taken them;
   * their batches stay in the outbox and go again under the same key). What a killed process does.
   */
  async abort (): Promise<void> {
    this.#running = false
    clearTimeout(this.#timer)
    const pending = [...this.#inFlight.values()].map(d => d.done)
    this.#abortAll()
    await Promise.allSettled(pending)
    await this.#recorded()
    // A killed process's connections go with it.
    await this.#o.sink.close?.()
  }

  #abortAll (): void {
    this.#abort.abort()
    for (const d of this.#inFlight.values()) d.controller.abort()
  }

  #wakeIn (ms: number): void {
    // Timers run in real time whatever clock stamps the data (the simulator's is virtual), so the
    // earliest-wake bookkeeping must too: a virtual clock that leaps would make a far timer look near.
    const at = performance.now() + ms
    if (this.#timer !== undefined && this.#timerAt <= at) return
    clearTimeout(this.#timer)
    this.#timerAt = at
    this.#timer = setTimeout(() => { this.#timer = undefined; this.#timerAt = Infinity; this.#pump() }, ms)
    this.#timer.unref()
  }

  /** Fills the free request slots: due batches first (oldest punches), then new batches past the cursor. */
  #pump (): void {
    if (!this.#running) return
    if (this.#pumping) { this.#pumpAgain = true; return }
    this.#pumping = true
    try {
      do {
        this.#pumpAgain = false
        this.#fill()
      } while (this.#pumpAgain && this.#running)
    } catch (err) {
      // A database error here (disk, lock) must not stop forwarding for good: log it and look again later.
      this.#stats.lastError = (err as Error).message
      this.#log.error({ err }, 'outbox read failed; retrying at the next poll')
    } finally {
      this.#pumping = false
    }
    if (this.#running) this.#scheduleNext()
  }

  #fill (): void {
    const store = this.#o.store
    const now = this.#filledAt = this.#now()
    let free = this.#free()
    if (this.#failing !== undefined) {
      if (this.#inFlight.size > 0 || this.#forming > 0 || now < this.#failing.probeAt) return
      free = 1
    }
    if (free <= 0) return
    const skip = new Set(this.#inFlight.keys())
    for (const key of this.#settling.keys()) skip.add(key)
    for (const [key, h] of this.#heldBack) if (h.until > now) skip.add(key)
    const merged = new Set<string>()
    for (const due of store.dueBatches(now, free, skip)) {
      if (merged.has(due.key)) continue
      this.#send(this.#mergeAfterOutage(due, skip, merged, now))
      free--
    }
    // A probe is a batch already in the outbox when there is one; a new one only when there is none.
    if (this.#failing !== undefined && (free === 0 || store.nextDueAt() !== undefined)) return
    if (free <= 0 || this.#forming > 0) return
    const againInMs = this.#formAgainAt - performance.now()
    if (againInMs > 0) return this.#wakeIn(againInMs)
    const size = this.#batchSize
    // Ahead only once the upstream has taken a batch: against an upstream down since the start, as few
    // batches are formed of the backlog as during an outage.
    const ahead = this.#failing !== undefined || this.#writesFail ? 1 : this.#stats.lastDeliveredAt === null ? free : FORM_AHEAD_BATCHES
    const waiting = store.waiting(size * ahead)
    if (waiting.count === 0) return
    if (waiting.count < size && waiting.firstReceived !== null && now - waiting.firstReceived < this.#o.lingerMs) {
      // A partial batch lingers a little so a burst goes out as one request, not one per commit.
      this.#wakeIn(this.#o.lingerMs - (now - waiting.firstReceived))
      return
    }
    this.#form(size, Math.max(1, Math.min(ahead, Math.floor(waiting.count / size))), Math.min(free, ahead), now)
  }

  /**
   * Slots for new requests: `concurrency` less the requests in flight and the batches being formed, and no
   * more than keep the deliveries not yet recorded within `unrecorded` past it (what a kill may send again).
   */
  #free (): number {
    const busy = this.#inFlight.size + this.#forming
    const unrecorded = this.#writesFail ? 0 : this.#o.unrecorded
    return Math.min(this.#o.concurrency - busy, this.#o.concurrency + unrecorded - busy - this.#settling.size)
  }

  /**
   * Forms up to `count` batches in one transaction (OutboxWrites: perhaps on the commit thread), holding
   * `slots` request slots meanwhile. Full batches are formed ahead of the slots, as the commit thread
   * claims them while punches arrive: after a backlog's last punch is stored, one synced transaction forms
   * the next FORM_AHEAD_BATCHES rather than one per request. They are due at once and the next look at the
   * outbox sends them, like the batches the thread claims ahead: sent from here too, a batch seen due by a
   * look between its commit and this answer went out twice under one key (the simulator's gateway-restart
   * scenario counted such copies). Formed while stopping: they wait for the next start.
   */
  #form (size: number, count: number, slots: number, now: number): void {
    this.#forming = slots
    this.#formed = this.#writes.formBatches(size, count, now).then(() => {
      this.#forming = 0
      this.#writesFail = false
    }, (err: unknown) => {
      this.#forming = 0
      this.#writesFail = true
      this.#formAgainAt = performance.now() + this.#o.pollMs
      this.#stats.lastError = (err as Error).message
      this.#log.error({ err }, 'forming a batch failed; retrying at the next poll')
    }).finally(() => { if (this.#running) this.#pump() })
  }

  /**
   * The upstream took the batch: recorded (OutboxWrites.complete: perhaps on the commit thread); the batch
   * is skipped until then. If it cannot be recorded the batch stays in the outbox and is held back like a
   * batch whose attempt failed, then sent again under its key.
   */
  #complete (key: string): void {
    const done = this.#writes.complete(key).then(() => {
      this.#settling.delete(key)
      this.#heldBack.delete(key)
      this.#writesFail = false
    }, (err: unknown) => {
      this.#settling.delete(key)
      this.#writesFail = true
      this.#holdBack(key, err as Error)
    }).finally(() => { if (this.#running) this.#pump() })
    this.#settling.set(key, done)
  }

  /**
   * A batch due again after refusals the upstream certainly did not take is merged with the batches after
   * it that are in the same state, up to the batch size: a recovering upstream then gets few full requests
   * instead of every small batch formed during the outage, one by one (docs/DESIGN-NOTES.md).
   */
  #mergeAfterOutage (due: ForwardBatch, skip: ReadonlySet<string>, merged: Set<string>, now: number): ForwardBatch {
    if (!this.#neverTaken(due)) return due
    const joins = (b: ForwardBatch): boolean => !skip.has(b.key) && this.#neverTaken(b)
    const m = this.#o.store.merge(due, this.#batchSize, joins, now)
    if (m.merged.length === 0) return due
    for (const key of m.merged) {
      merged.add(key)
      this.#refusedOnly.delete(key)
    }
    this.#refusedOnly.set(m.batch.key, m.batch.attempts)
    this.#log.info({ batch: m.batch.key, from: m.merged.length, first: m.batch.firstId, last: m.batch.lastId }, 'merged batches the upstream refused into one under a new key')
    return m.batch
  }

  #neverTaken (b: ForwardBatch): boolean {
    return b.attempts > 0 && this.#refusedOnly.get(b.key) === b.attempts
  }

  /** Counts an attempt of a batch that the store has recorded: refused for sure, or perhaps taken. */
  #counted (key: string, notTaken: boolean): void {
    if (notTaken) this.#refusedOnly.set(key, (this.#refusedOnly.get(key) ?? 0) + 1)
    else this.#refusedOnly.delete(key)
  }

  #scheduleNext (): void {
    const due = this.#o.store.nextDueAt()
    const probeAt = this.#failing?.probeAt
    const next = probeAt === undefined ? due : Math.max(due ?? probeAt, probeAt)
    const now = this.#now()
    const poll = this.#o.pollMs
    // #fill has just sent every batch due then that it had a slot for, so such a batch is in flight, waits for a
    // slot (a finishing request pumps again) or is held back (wake when its hold ends). Waking at once here
    // spun on timers and SQLite while one request was in flight with a slot free, for as long as a slow
    // upstream took to answer (found with the fault suite's slow upstream, faults/upstream-faults.ts).
    if (next !== undefined && next <= this.#filledAt) return this.#wakeIn(Math.min(poll, this.#firstRelease(now) - now))
    this.#wakeIn(next === undefined ? poll : Math.max(0, Math.min(poll, next - now)))
  }

  /** When the first batch held back may go again; Infinity when none is held. */
  #firstRelease (now: number): number {
    let at = Infinity
    for (const h of this.#heldBack.values()) if (h.until > now) at = Math.min(at, h.until)
    return at
  }

  #send (batch: ForwardBatch): void {
    const delivery: Delivery = { startedAt: this.#now(), deadlineMs: null, controller: new AbortController(), done: Promise.resolve() }
    this.#inFlight.set(batch.key, delivery)
    delivery.done = this.#attempt(batch, delivery)
      // A delivery's recording clears the hold itself, once it is made (#complete).
      .then((recording) => { if (!recording) this.#heldBack.delete(batch.key) })
      .catch((err: unknown) => this.#holdBack(batch.key, err as Error))
      .finally(() => {
        clearTimeout(delivery.watchdog)
        this.#inFlight.delete(batch.key)
        if (this.#running) this.#pump()
      })
  }

  /** The store could not record what happened to the batch: it stays in the outbox and waits a backoff of its own. */
  #holdBack (key: string, err: Error): void {
    this.#refusedOnly.delete(key)
    this.#stats.lastError = err.message
    const failures = (this.#heldBack.get(key)?.failures ?? 0) + 1
    const { baseMs, capMs } = this.#o.backoff
    const retryInMs = Math.min(capMs, baseMs * 2 ** Math.min(failures - 1, 30))
    this.#heldBack.set(key, { until: this.#now() + retryInMs, failures })
    this.#log.error({ err, batch: key, retryInMs }, 'forwarding a batch failed unexpectedly; it stays in the outbox')
  }

  /** Resolves true when the upstream took the batch and its recording is under way (#complete). */
  async #attempt (batch: ForwardBatch, delivery: Delivery): Promise<boolean> {
    const punches = this.#sendable(batch)
    if (punches.length === 0) {
      // Every punch of the range is gone (purged) or parked: nothing to send.
      await this.#writes.complete(batch.key)
      return false
    }
    const body: UpstreamBatch = { gateway: this.#o.gatewayId, batch: batch.key, punches }
    const started = this.#now()
    this.#watch(batch, punches.length, delivery)
    const result = await this.#o.sink.deliver(body, delivery.controller.signal)
    if (this.#abort.signal.aborted && result.outcome !== 'delivered') return false
    this.#apply(batch, punches.length, result, started)
    if (result.outcome !== 'delivered') return false
    // The request's slot is free again, but the batch counts against `unrecorded` until its delivery is
    // recorded (#free): what a crash may send again stays bounded by the settings (docs/FAULTS.md,
    // gateway-kill's bound). Freed with no such bound, a kill sent 2,157 punches again over 50 kills
    // instead of about 600.
    return true
  }

  /**
   * Arms the watchdog of one delivery from its sink's deadline: a timer of its own, so whatever happens
   * to the sink's timers (nodejs/node#57736 collected them), the slot is freed and the batch goes again
   * under its key.
   */
  #watch (batch: ForwardBatch, punches: number, delivery: Delivery): void {
    const deadlineMs = this.#o.sink.deadlineMs?.(punches)
    if (deadlineMs === undefined) return
    delivery.deadlineMs = deadlineMs
    delivery.watchdog = setTimeout(() => {
      const outstandingMs = this.#now() - delivery.startedAt
      this.#stats.watchdogAborts++
      this.#log.error({ batch: batch.key, punches, outstandingMs, deadlineMs },
        'a delivery to the upstream outlived its deadline: aborting it; the batch goes again under its key')
      delivery.controller.abort(new Error(`watchdog: no outcome within ${deadlineMs} ms, the sink's deadline; abandoned`))
    }, deadlineMs + this.#o.watchdogGraceMs)
  }

  /**
   * The batch's punches in the upstream's shape, leaving out those parked (dead letters of a split range
   * come back with it) and parking those that must wait for a roster entry.
   */
  #sendable (batch: ForwardBatch): UpstreamPunch[] {
    const store = this.#o.store
    const rows = store.loadPunches(batch)
    if (rows.length === 0) return []
    const parked = store.parkedIds(batch.firstId, batch.lastId)
    const out: UpstreamPunch[] = []
    const hold: number[] = []
    let reason = ''
    for (const row of rows) {
      if (parked.has(row.id)) continue
      const d = this.#describe(row)
      if (d.hold !== undefined) {
        hold.push(row.id)
        reason = d.hold
        continue
      }
      out.push(toUpstream(row, d))
    }
    if (hold.length > 0) {
      store.park(hold, reason, this.#now())
      this.#log.warn({ batch: batch.key, punches: hold.length, reason }, 'punches held until a roster entry maps their badge (punchline roster add)')
      this.emit('parked', hold.length, reason)
    }
    return out
  }

  #apply (batch: ForwardBatch, count: number, result: SinkResult, started: number): void {
    const store = this.#o.store
    const now = this.#now()
    const log = this.#log
    if (result.outcome !== 'retry' || result.status !== undefined) this.#stats.lastAnsweredAt = now
    if (result.outcome !== 'retry' && result.outcome !== 'config') {
      this.#refusedOnly.delete(batch.key)
      this.#answered()
    }
    switch (result.outcome) {
      case 'delivered':
        this.#complete(batch.key)
        this.#stats.delivered += count
        this.#stats.deliveredBatches++
        this.#stats.lastDeliveredAt = now
        log.debug({ batch: batch.key, punches: count, ms: now - started }, 'batch delivered')
        this.emit('delivered', count, batch.key)
        return
      case 'retry': {
        const backoff = retryDelay(batch.attempts, this.#o.backoff, this.#random)
        const floor = result.retryAfterMs === undefined ? 0 : Math.min(result.retryAfterMs, this.#o.maxRetryAfterMs)
        const delay = Math.max(backoff, floor)
        store.retryLater(batch.key, now + delay, result.error)
        this.#failed(now, floor, result.error)
        this.#counted(batch.key, result.notTaken === true)
        this.#fail('retry', result.error)
        log.warn({ batch: batch.key, punches: count, attempt: batch.attempts + 1, status: result.status, error: result.error, retryInMs: delay }, 'upstream did not take the batch; will retry')
        return
      }
      case 'config': {
        store.retryLater(batch.key, now + this.#o.backoff.capMs, result.error)
        this.#failed(now, this.#o.backoff.capMs, result.error)
        this.#counted(batch.key, true)
        this.#fail('config', result.error)
        log.error({ batch: batch.key, status: result.status, error: result.error, retryInMs: this.#o.backoff.capMs },
          'upstream refuses the gateway (check the upstream URL and token); nothing is dropped, retrying slowly')
        return
      }
      case 'park':
      case 'split': {
        this.#fail(result.outcome, result.error)
        if (count > 1) {
          const halves = store.split(batch.key, now)
          log.warn({ batch: batch.key, punches: count, status: result.status, error: result.error, into: halves.map(h => h.key) }, 'upstream refused a record in the batch; splitting it')
          return
        }
        if (result.outcome === 'park') {
          const parked = store.deadLetter(batch.key, result.status ?? null, result.error, now, 'unmapped')
          log.warn({ batch: batch.key, punch: batch.firstId, status: result.status, error: result.error },
            'upstream does not know this person; parked until a roster entry or an upstream fix maps it (punchline deadletters list)')
          this.emit('parked', parked, result.error)
          return
        }
        const parked = store.deadLetter(batch.key, result.status ?? null, result.error, now)
        this.#stats.deadLettered += parked
        log.error({ batch: batch.key, punch: batch.firstId, status: result.status, error: result.error },
          'upstream refused a punch for good; parked in dead letters (punchline deadletters list)')
        this.emit('dead-letter', parked, result.error)
      }
    }
  }

  /** An attempt failed: the next probe waits a backoff that doubles with each failure in a row (and Retry-After). */
  #failed (now: number, floorMs: number, error: string): void {
    const f = this.#failing ??= { since: now, failures: 0, probeAt: now }
    if (f.failures === 0) this.#log.warn({ error }, 'upstream failing: one request at a time probes it until it answers')
    f.probeAt = now + Math.max(retryDelay(f.failures, this.#o.backoff, this.#random), floorMs)
    f.failures++
    this.#stats.failingSince = f.since
  }

  /** The upstream answered (took a batch, or refused a record in it): every slot may go again. */
  #answered (): void {
    if (this.#failing === undefined) return
    this.#log.info({ failedForMs: this.#now() - this.#failing.since, failures: this.#failing.failures }, 'upstream answers again; forwarding at full rate')
    this.#failing = undefined
    this.#stats.failingSince = null
  }

  #fail (kind: FailureKind, error: string): void {
    this.#stats.failures[kind]++
    this.#stats.lastError = error
    this.emit('failure', kind, error)
  }
}

const NOTHING: PunchDescription = {}
/**
 * batches due or in flight below which the commit thread claims more (OutboxClaim): enough that the
 * forwarder finds its next batches formed after each commit at a drain's pace, few enough that the outbox
 * stays a handful of rows
 */
const CLAIM_AHEAD_BATCHES = 64
/** full batches the forwarder forms in one transaction when the commit thread has not claimed them (above) */
const FORM_AHEAD_BATCHES = CLAIM_AHEAD_BATCHES
/** how long past its sink's deadline a delivery may stay outstanding before the watchdog aborts it */
const WATCHDOG_GRACE_MS = 5000

/**
 * A stored row in the upstream's shape (docs/PROTOCOL.md, "Upstream HTTP webhook"). On the drain's hot
 * path (every punch, once): the object is built whole, never with a `delete` (which sends V8 to a slow
 * dictionary shape), and the times are written by shared/iso-time.ts.
 */
export function toUpstream (p: StoredPunch, d: PunchDescription = NOTHING): UpstreamPunch {
  const received = isoUtc(p.received)
  const id = p.source_id ?? `${p.device}:${p.epoch}:${p.seq}`
  const ts = isoUtc(p.ts)
  const flags = p.flags === '' ? [] : p.flags.split(',')
  const out: UpstreamPunch = p.tz === null
    ? { id, device: p.device, epoch: p.epoch, seq: p.seq, ts, emp: p.emp, kind: p.kind as PunchKind, method: p.method as PunchMethod, received, flags }
    : { id, device: p.device, epoch: p.epoch, seq: p.seq, ts, local: localIso(p.ts, p.tz), emp: p.emp, kind: p.kind as PunchKind, method: p.method as PunchMethod, received, flags }
  // The batch codec requires lat, lon and acc together, so a stored location always has all three.
  if (p.lat !== null && p.lon !== null) out.loc = { lat: p.lat, lon: p.lon, acc: p.acc ?? 0 }
  if (d.manual !== undefined) out.manual = d.manual
  else if (p.manual !== null) out.manual = { reason: p.manual }
  if (p.up !== null) out.up = p.up
  if (d.employee !== undefined) out.employee = d.employee
  if (d.site !== undefined && d.site !== '') out.site = d.site
  if (p.source !== null) out.source = JSON.parse(p.source) as Record<string, unknown>
  return out
}
