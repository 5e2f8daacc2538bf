/**
 * Keeps the checkpointer thread (checkpoint-worker.ts) running beside the commit thread, and tells the
 * gateway what it does. The commit thread counts what it commits in a shared signal (checkpoint-signal.ts); the
 * checkpointer wakes on it. A checkpointer that ends unasked is counted and started again after
 * CHECKPOINTER_RESTART_MS; meanwhile the commits' own auto-checkpoint (COMMIT_AUTOCHECKPOINT_PAGES, set
 * on the commit thread's connection) keeps the WAL bounded, so the gateway works on without one.
 */
import type { Worker } from 'node:worker_threads'
import { startThread } from '../thread.js'
import { COMMITTED, STOP, type CheckpointRun, type CheckpointThreadData, type FromCheckpointThread } from './checkpoint-signal.js'

/** after a checkpointer is lost, the next one starts this much later: a crash loop stays slow */
export const CHECKPOINTER_RESTART_MS = 1000
/**
 * Units (a row, or a transaction) committed between two checkpoints. A stored punch puts about half a
 * page in the WAL with its indexes (measured: 400,000 punches, 196,000 frames), so this is about 4,000
 * pages a checkpoint: the pages every transaction changes (the indexes' last leaves, the pending set) are
 * copied once per checkpoint, and a quarter as many as SQLite's default 1000 cost the checkpointer a
 * fifth less CPU (docs/DESIGN-NOTES.md, "Checkpoints off the commit thread").
 */
export const CHECKPOINT_EVERY_UNITS = 8000
/** with commits stopped this long, what was committed since the last checkpoint is copied anyway */
export const CHECKPOINT_IDLE_MS = 2000
/**
 * The auto-checkpoint the commit thread's (and the event loop's) connection keeps, pages: a backstop when
 * the checkpointer is dead or stalled, and what starts the WAL again from its beginning under continuous
 * ingest. SQLite restarts the WAL only in a write transaction that began with every frame copied, which a
 * thread committing back to back never sees while another copies beside it; past this, the COMMIT
 * copies the little the checkpointer has not (its last transaction or two) and the next one restarts.
 * 10,000 pages of 4 KB: the WAL file stays under about 40 MB and a group's frames.
 */
export const COMMIT_AUTOCHECKPOINT_PAGES = 10_000
/** the checkpointer's young generation, MB: its objects are a few result rows a checkpoint */
const CHECKPOINTER_YOUNG_GENERATION_MB = 1
/** how long a stopping checkpointer may take to finish a checkpoint and close before it is ended */
const CLOSE_GRACE_MS = 10_000

export interface CheckpointerOptions {
  file: string
  busyTimeoutMs: number
  /** the counter the commit thread adds to (checkpoint-signal.ts) */
  signal: SharedArrayBuffer
  everyUnits?: number
  idleMs?: number
  onRun?: (run: CheckpointRun) => void
  /** a checkpoint threw (other than busy): counted, the next one tries again */
  onFailed?: (err: Error) => void
  /** the thread ended unasked (or could not start); another starts after CHECKPOINTER_RESTART_MS */
  onLost?: (err: Error) => void
}

export class Checkpointer {
  readonly #o: CheckpointerOptions
  readonly #signal: Int32Array
  #worker: Worker | undefined
  #exited: Promise<void> = Promise.resolve()
  #restartTimer: NodeJS.Timeout | undefined
  #stopped = false
  /** threads started, the first included */
  started = 0

  constructor (o: CheckpointerOptions) {
    this.#o = o
    this.#signal = new Int32Array(o.signal)
  }

  start (): void {
    if (this.#stopped || this.#worker !== undefined) return
    Atomics.store(this.#signal, STOP, 0)
    const data: CheckpointThreadData = {
      file: this.#o.file,
      busyTimeoutMs: this.#o.busyTimeoutMs,
      signal: this.#o.signal,
      everyUnits: this.#o.everyUnits ?? CHECKPOINT_EVERY_UNITS,
      idleMs: this.#o.idleMs ?? CHECKPOINT_IDLE_MS
    }
    const worker = this.#worker = startThread(import.meta.url, 'checkpoint-worker', data, [], { maxYoungGenerationSizeMb: CHECKPOINTER_YOUNG_GENERATION_MB })
    this.started++
    let crash: Error | undefined
    worker.on('message', (m: FromCheckpointThread) => {
      if (m.type === 'run') this.#o.onRun?.(m.run)
      else if (m.type === 'failed') this.#o.onFailed?.(Object.assign(new Error(m.error), m.code === undefined ? {} : { code: m.code }))
    })
    worker.on('error', (err) => { crash = err })
    this.#exited = new Promise<void>(resolve => {
      worker.once('exit', (code) => {
        if (this.#worker === worker) this.#worker = undefined
        if (!this.#stopped) this.#lost(crash ?? new Error(`the checkpointer exited (${code})`))
        resolve()
      })
    })
  }

  /** whether a checkpointer thread runs now */
  get running (): boolean { return this.#worker !== undefined }

  #lost (err: Error): void {
    this.#o.onLost?.(err)
    this.#restartTimer = setTimeout(() => { this.#restartTimer = undefined; this.start() }, CHECKPOINTER_RESTART_MS)
    this.#restartTimer.unref()
  }

  /** Asks the thread to end once its checkpoint (if one runs) is done; resolves when its connection is closed. */
  async stop (): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#restartTimer)
    const worker = this.#worker
    if (worker === undefined) return await this.#exited
    this.#wakeToStop()
    const timer = setTimeout(() => { void worker.terminate() }, CLOSE_GRACE_MS)
    timer.unref()
    await this.#exited
    clearTimeout(timer)
  }

  /** Ends the thread at once (the simulator's crash); no other starts. */
  abort (): void {
    this.#stopped = true
    clearTimeout(this.#restartTimer)
    this.#wakeToStop()
    void this.#worker?.terminate()
  }

  /** Ends the thread as a crash would, for tests and the fault suite; another starts after CHECKPOINTER_RESTART_MS. */
  async kill (): Promise<void> {
    await this.#worker?.terminate()
    await this.#exited
  }

  #wakeToStop (): void {
    Atomics.store(this.#signal, STOP, 1)
    // Changed, so a thread about to sleep on the old count does not.
    Atomics.add(this.#signal, COMMITTED, 1)
    Atomics.notify(this.#signal, COMMITTED)
  }
}
