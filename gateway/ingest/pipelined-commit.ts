/**
 * The pipelined group commit: the transaction and its fsync run on a thread of their own
 * (commit-worker.ts), so the event loop goes on reading sockets, decoding and acknowledging while a group
 * is being written, and hands over the next group without waiting for the previous fsync
 * (docs/DESIGN-NOTES.md, "The pipelined group commit").
 *
 * The promise stays exact: a job's callback (its PUBACK and ack) runs only once the thread has answered
 * that the transaction holding it committed, and answers come back in the order the groups went, so a
 * device's batches are acknowledged in the order they arrived. The rows queued or being committed are
 * bounded (`maxQueuedRows`): past it new jobs fail at once with QueueFull, no PUBACK, and the device sends
 * them again later; a slow disk pushes back on the devices rather than growing memory.
 *
 * A thread that ends unasked (it crashed, or was killed) answers nothing: its jobs fail like a failed
 * commit, unacknowledged (whatever it may have written is ignored as a duplicate when the devices resend),
 * and the next group starts a new thread, at most one per THREAD_RESTART_MS.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort, type ResourceLimits, type Worker } from 'node:worker_threads'
import { startThread } from '../thread.js'
import type { FlagInputs } from '../rules/flagger.js'
import type { PunchRow } from '../store/punch-store.js'
import { TurnQueue, type CommitJob, type Committer, type GroupCommitStats } from './group-commit.js'
import type { CommitThreadData, CommitThreadLink, CommittedGroup, FromCommitThread, ToCommitThread } from './commit-thread-messages.js'
import { encodeJob, type WireJob } from './commit-wire.js'
import type { ForwardBatch } from '../store/forward-store.js'
import type { OutboxClaim, OutboxWrites } from '../store/outbox-writes.js'
import { answerOutbox, failOutbox, wireOutbox, type OutboxRequest } from './outbox-requests.js'
import { Checkpointer, COMMIT_AUTOCHECKPOINT_PAGES, type CheckpointerOptions } from './checkpointer.js'
import { newCheckpointSignal } from './checkpoint-signal.js'

/** after a thread is lost, jobs fail at once for this long before another is started: a crash loop stays slow */
export const THREAD_RESTART_MS = 1000
/** groups handed to the thread and not answered yet: one being committed, one waiting for it */
const GROUPS_IN_FLIGHT = 2
/**
 * Past this many rows queued or with the thread, the loop waits for the thread's next answer before it
 * reads more, as the in-loop group commit waited for its own: the loop may run ahead of the disk by two
 * full groups, not by everything the sockets hold.
 */
const holdBackRows = (maxRows: number): number => GROUPS_IN_FLIGHT * maxRows
/**
 * a wait for an answer ends after this long even without one: a thread that died answers nothing, and its
 * end is seen only once the loop turns again; a commit on a slow disk takes seconds, not this long
 */
const HOLD_BACK_MAX_MS = 10_000
/**
 * The commit thread's young generation, MB. Left to V8 it grows as the main isolate's does, for objects
 * that live one transaction; bounded, the gateway's peak memory under a drain is lower at the same CPU
 * (docs/DESIGN-NOTES.md, "The commit thread's memory").
 */
export const COMMIT_THREAD_YOUNG_GENERATION_MB = 8
/** how long a closing thread may take to commit what it holds and close its connection before it is ended */
const CLOSE_GRACE_MS = 10_000

export interface PipelinedCommitOptions {
  thread: CommitThreadData
  /** queue bound: beyond this many rows queued or being committed, new jobs fail at once */
  maxQueuedRows: number
  /** the rules step's inputs from the gateway's memory, looked up when a group is handed over */
  inputs?: (row: PunchRow) => FlagInputs
  /** after each transaction that stored punches, with its rows */
  onCommit?: (rows: number) => void
  /** what the thread may claim for the forwarder in a transaction that stores punches (store/outbox-writes.ts) */
  claim?: () => OutboxClaim | undefined
  /**
   * At a discard (the simulator's crash), records a delivery on the caller's own connection: the upstream
   * has answered it, and with the commits in the loop it was recorded in the same turn, so a crash between
   * two turns never found one unrecorded; without this, when a crash lands decides what is sent again.
   */
  recordOnDiscard?: (key: string) => void
  /** the thread ended without being asked; its jobs failed */
  onThreadLost?: (err: Error) => void
  /**
   * The WAL's checkpoints, on a thread of their own beside the commit thread (checkpointer.ts), with what
   * to tell of them; false: none, and the COMMIT that crosses SQLite's default auto-checkpoint runs it.
   * `autocheckpointPages`: the commit thread's backstop (COMMIT_AUTOCHECKPOINT_PAGES; tests set a smaller one).
   */
  checkpoints?: false | (Omit<CheckpointerOptions, 'file' | 'busyTimeoutMs' | 'signal'> & { autocheckpointPages?: number })
}

interface InFlight { jobs: CommitJob[], rows: number, outbox: OutboxRequest[] }

class ThreadLost extends Error {}

export class PipelinedCommit implements Committer, OutboxWrites {
  readonly #o: PipelinedCommitOptions
  readonly stats: GroupCommitStats = { transactions: 0, rows: 0, fallbacks: 0, failedJobs: 0, queuedRows: 0 }
  /** threads started, the first included */
  threadsStarted = 0
  #worker: Worker | undefined
  #exited: Promise<void> = Promise.resolve()
  #lostAt = -Infinity
  #closing = false
  readonly #queue: TurnQueue
  readonly #inFlight = new Map<number, InFlight>()
  #inFlightRows = 0
  #seq = 0
  #settled: Array<() => void> = []
  /** the current thread's answers, and the count it keeps of them */
  #answers: MessagePort | undefined
  #answered = new Int32Array(new SharedArrayBuffer(4))
  #holding = false
  /** the forwarder's outbox writes waiting for the next group */
  #outbox: OutboxRequest[] = []
  #outboxScheduled = false
  readonly #checkpoints: { signal: SharedArrayBuffer, autocheckpointPages: number } | undefined
  /** the thread that checkpoints the WAL; undefined with `checkpoints: false` */
  readonly checkpointer: Checkpointer | undefined

  private constructor (o: PipelinedCommitOptions) {
    this.#o = o
    if (o.checkpoints !== false) {
      const signal = newCheckpointSignal()
      this.#checkpoints = { signal, autocheckpointPages: o.checkpoints?.autocheckpointPages ?? COMMIT_AUTOCHECKPOINT_PAGES }
      this.checkpointer = new Checkpointer({ ...o.checkpoints, file: o.thread.file, busyTimeoutMs: o.thread.busyTimeoutMs, signal })
    }
    this.#queue = new TurnQueue({ maxRows: o.thread.maxRows, maxQueuedRows: o.maxQueuedRows }, () => this.flush())
  }

  /** Starts the thread and resolves once its connection is open; rejects with why it could not open. */
  static async start (o: PipelinedCommitOptions): Promise<PipelinedCommit> {
    const c = new PipelinedCommit(o)
    const worker = c.#spawn()
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromCommitThread): void => { if (m.type === 'ready') { cleanup(); resolve() } }
      const onError = (err: Error): void => { cleanup(); reject(err) }
      const onExit = (code: number): void => { cleanup(); reject(new Error(`the commit thread exited (${code}) before it was ready`)) }
      const cleanup = (): void => { worker.off('message', onMessage); worker.off('error', onError); worker.off('exit', onExit) }
      worker.on('message', onMessage)
      worker.once('error', onError)
      worker.once('exit', onExit)
    })
    // After the commit thread: the file exists and has its schema.
    c.checkpointer?.start()
    return c
  }

  complete (key: string): Promise<void> {
    return new Promise((resolve, reject) => this.#request({ kind: 'complete', key, resolve, reject }))
  }

  formBatches (size: number, count: number, now: number): Promise<ForwardBatch[]> {
    return new Promise((resolve, reject) => this.#request({ kind: 'form', size, count, now, resolve, reject }))
  }

  /** Queued for the next group; one handover a turn at most, with the punches of that turn if any. */
  #request (r: OutboxRequest): void {
    // After a discard, deliveries still answered are recorded as they were answered, as before it.
    if (this.#closing) return this.#settleOnDiscard(r, new ThreadLost('the commit thread is closed; the outbox write was not made'))
    this.#outbox.push(r)
    if (this.#outboxScheduled) return
    this.#outboxScheduled = true
    setImmediate(() => { this.#outboxScheduled = false; this.flush() })
  }

  enqueue (job: CommitJob): void {
    if (!this.#queue.add(job, this.#inFlightRows)) this.stats.failedJobs++
    this.#count()
    if (this.#queue.rows + this.#inFlightRows > holdBackRows(this.#o.thread.maxRows)) this.#holdBack()
  }

  /**
   * The loop is two full groups ahead of the disk: it takes the thread's answers as they come, sleeping
   * between them, until it is under the mark again. Memory stays bounded by what the disk keeps up with
   * (before, the loop read on while the thread wrote, and a drain from 2,000 devices took the gateway's
   * peak RSS from 175 to 353 MB).
   */
  #holdBack (): void {
    if (this.#holding) return
    this.#holding = true
    try {
      const until = Date.now() + HOLD_BACK_MAX_MS
      while (this.#queue.rows + this.#inFlightRows > holdBackRows(this.#o.thread.maxRows) && this.#answers !== undefined && Date.now() < until) {
        const seen = Atomics.load(this.#answered, 0)
        const m = receiveMessageOnPort(this.#answers)
        if (m !== undefined) this.#done(m.message as Extract<FromCommitThread, { type: 'done' }>)
        else Atomics.wait(this.#answered, 0, seen, Math.max(1, until - Date.now()))
      }
    } finally {
      this.#holding = false
    }
  }

  /**
   * Hands what is queued to the thread, in groups of up to `maxRows`, while it has fewer than
   * GROUPS_IN_FLIGHT: one being committed and the next waiting, so the thread starts the next transaction
   * the moment the last one ends. The rest stays queued, collecting what comes, until the thread answers.
   */
  flush (): void {
    while ((this.#queue.rows > 0 || this.#outbox.length > 0) && (this.#worker === undefined || this.#inFlight.size < GROUPS_IN_FLIGHT)) this.#post()
  }

  #post (): void {
    const { jobs, rows } = this.#queue.take(this.#o.thread.maxRows)
    const outbox = this.#outbox
    this.#outbox = []
    const worker = this.#worker ?? this.#restart()
    if (worker === undefined) {
      this.#count()
      const err = new ThreadLost('the commit thread is restarting; not stored')
      this.#fail(jobs, err)
      failOutbox(outbox, err)
      return
    }
    const wire: WireJob[] = new Array(jobs.length)
    for (let i = 0; i < jobs.length; i++) wire[i] = encodeJob(jobs[i].rows, jobs[i].received, this.#o.inputs)
    const seq = ++this.#seq
    this.#inFlight.set(seq, { jobs, rows, outbox })
    this.#inFlightRows += rows
    this.#count()
    const wireBox = wireOutbox(outbox, rows > 0 ? this.#o.claim?.() : undefined)
    worker.postMessage((wireBox === undefined ? { type: 'commit', seq, jobs: wire } : { type: 'commit', seq, jobs: wire, outbox: wireBox }) satisfies ToCommitThread)
  }

  async settle (): Promise<void> {
    this.flush()
    if (this.#inFlight.size === 0 && this.#queue.rows === 0 && this.#outbox.length === 0) return
    await new Promise<void>(resolve => this.#settled.push(resolve))
  }

  discard (): number {
    const rows = this.#queue.take().rows + this.#inFlightRows
    // Batches being formed are not (or may be: a formed batch is sent after a restart); deliveries answered
    // are recorded here. Either way the forwarder is told, so that nothing waits.
    const dropped = new ThreadLost('the commit thread was stopped; the outbox write may or may not have been made')
    const requests = [...this.#inFlight.values()].flatMap(f => f.outbox).concat(this.#outbox)
    this.#outbox = []
    for (const r of requests) this.#settleOnDiscard(r, dropped)
    this.#inFlight.clear()
    this.#inFlightRows = 0
    this.#count()
    // Whatever the thread is writing may land or not, as at a crash; nobody is told.
    this.#closing = true
    void this.#worker?.terminate()
    this.checkpointer?.abort()
    this.#wake()
    return rows
  }

  #settleOnDiscard (r: OutboxRequest, dropped: Error): void {
    const record = this.#o.recordOnDiscard
    if (r.kind !== 'complete' || record === undefined) return r.reject(dropped)
    try {
      record(r.key)
      r.resolve()
    } catch (err) {
      r.reject(err as Error)
    }
  }

  async close (): Promise<void> {
    this.#closing = true
    // Its connection closes before the gateway's own: the last one to close copies what is left and removes the WAL.
    const checkpointer = this.checkpointer?.stop()
    const worker = this.#worker
    if (worker !== undefined) {
      worker.postMessage({ type: 'close' } satisfies ToCommitThread)
      const timer = setTimeout(() => { void worker.terminate() }, CLOSE_GRACE_MS)
      timer.unref()
      await this.#exited
      clearTimeout(timer)
    }
    await this.#exited
    await checkpointer
  }

  /** The limits the current thread runs with (undefined while none runs). */
  get threadLimits (): ResourceLimits | undefined {
    return this.#worker?.resourceLimits
  }

  /** Ends the thread as a crash would, for tests and the fault suite; the gateway goes on without it. */
  async killThread (): Promise<void> {
    await this.#worker?.terminate()
    await this.#exited
  }

  #restart (): Worker | undefined {
    if (this.#closing || Date.now() - this.#lostAt < THREAD_RESTART_MS) return undefined
    return this.#spawn()
  }

  #spawn (): Worker {
    const { port1: answers, port2 } = new MessageChannel()
    const link: CommitThreadLink = { answers: port2, answered: this.#answered.buffer as SharedArrayBuffer, checkpoints: this.#checkpoints }
    const worker = startThread(import.meta.url, 'commit-worker', { ...this.#o.thread, ...link }, [port2], { maxYoungGenerationSizeMb: COMMIT_THREAD_YOUNG_GENERATION_MB })
    this.threadsStarted++
    this.#worker = worker
    this.#answers = answers
    let crash: Error | undefined
    answers.on('message', (m: FromCommitThread) => { if (m.type === 'done') this.#done(m) })
    worker.on('error', (err) => { crash = err })
    this.#exited = new Promise<void>(resolve => {
      worker.once('exit', (code) => {
        // Answers sent just before the end still count: their transactions committed.
        for (let m = receiveMessageOnPort(answers); m !== undefined; m = receiveMessageOnPort(answers)) this.#done(m.message as Extract<FromCommitThread, { type: 'done' }>)
        answers.close()
        if (this.#answers === answers) this.#answers = undefined
        if (this.#worker === worker) this.#worker = undefined
        if (!this.#closing) this.#lost(crash ?? new ThreadLost(`the commit thread exited (${code})`))
        resolve()
      })
    })
    return worker
  }

  #done (m: Extract<FromCommitThread, { type: 'done' }>): void {
    this.stats.transactions += m.transactions
    this.stats.fallbacks += m.fallbacks
    this.stats.failedJobs += m.failedJobs
    this.stats.rows += m.rows
    if (m.rows > 0) this.#o.onCommit?.(m.rows)
    for (const g of m.groups) this.#answer(g)
    this.flush()
    this.#wake()
  }

  #answer (g: CommittedGroup): void {
    const flight = this.#inFlight.get(g.seq)
    // Absent: discarded (an abort) after it was handed over.
    if (flight === undefined) return
    this.#inFlight.delete(g.seq)
    this.#inFlightRows -= flight.rows
    this.#count()
    for (let i = 0; i < flight.jobs.length; i++) {
      const r = g.results[i]
      if ('error' in r) flight.jobs[i].done(Object.assign(new Error(r.error), r.code === undefined ? {} : { code: r.code }))
      else flight.jobs[i].done(null, r)
    }
    answerOutbox(flight.outbox, g.outbox)
  }

  /** The thread is gone: every job it held fails unanswered, in the order they were handed over. */
  #lost (err: Error): void {
    this.#lostAt = Date.now()
    const flights = [...this.#inFlight.values()]
    this.#inFlight.clear()
    this.#inFlightRows = 0
    this.#count()
    this.#o.onThreadLost?.(err)
    for (const f of flights) {
      this.#fail(f.jobs, err)
      failOutbox(f.outbox, err)
    }
    this.flush()
    this.#wake()
  }

  #fail (jobs: CommitJob[], err: Error): void {
    this.stats.failedJobs += jobs.length
    for (const j of jobs) j.done(err)
  }

  #count (): void {
    this.stats.queuedRows = this.#queue.rows + this.#inFlightRows
  }

  #wake (): void {
    if (this.#inFlight.size > 0 || this.#queue.rows > 0 || this.#outbox.length > 0 || this.#settled.length === 0) return
    const waiting = this.#settled
    this.#settled = []
    for (const resolve of waiting) resolve()
  }
}
