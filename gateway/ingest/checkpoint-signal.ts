/**
 * What the commit thread, the checkpointer thread and checkpointer.ts share: a counter of what was
 * committed (the commit thread adds, the checkpointer sleeps on it) and a stop flag, two Int32 in a
 * SharedArrayBuffer; and the checkpointer's reports. Kept apart so that each thread imports only this.
 */

/** Int32 slots of the signal */
export const COMMITTED = 0
export const STOP = 1

/** what one transaction counts for, rows aside: its pages of the pending set, the meta rows, the commit frame */
export const UNITS_PER_TRANSACTION = 20

export function newCheckpointSignal (): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)
}

/** Called by the commit thread after its transactions, with the rows they held (0 for the outbox's alone). */
export function noteCommit (signal: Int32Array, rows: number, transactions: number): void {
  Atomics.add(signal, COMMITTED, rows + transactions * UNITS_PER_TRANSACTION)
  Atomics.notify(signal, COMMITTED)
}

export interface CheckpointThreadData {
  file: string
  busyTimeoutMs: number
  signal: SharedArrayBuffer
  /** checkpoint once this many units (a row, or a transaction's UNITS_PER_TRANSACTION) were committed since the last one */
  everyUnits: number
  /** and once this long has passed without a commit, with some committed since the last checkpoint */
  idleMs: number
}

export interface CheckpointRun {
  /** another checkpoint held the lock (a commit's auto-checkpoint, the storage guard's TRUNCATE): tried again next time */
  busy: boolean
  /** frames in the WAL, and how many of them are in the database file now (-1, -1 when busy) */
  log: number
  checkpointed: number
  /** frames this run copied: each WAL frame counted once, even when a run copies only part of the WAL */
  copied: number
}

export type FromCheckpointThread =
  | { type: 'run', run: CheckpointRun }
  | { type: 'failed', error: string, code?: string }
