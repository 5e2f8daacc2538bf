/**
 * The checkpointer (started by checkpointer.ts): copies the WAL's committed pages into the database file,
 * on a connection of its own, so that the commit thread pays for the copy and its fsync inside a COMMIT
 * rarely, and then only for what is left (docs/DESIGN-NOTES.md, "Checkpoints off the commit thread").
 *
 * It sleeps on a shared counter the commit thread adds its rows to after every transaction (Atomics.wait:
 * this thread has nothing else to do), and runs a PASSIVE checkpoint once enough has been committed since
 * the last one, or once commits have stopped for a while with some not copied yet. PASSIVE never waits for
 * a reader or a writer and never takes the write lock: the commit thread goes on committing beside it.
 * A write transaction that begins after a complete copy starts the WAL again from its beginning; under
 * continuous ingest none does, and the commits' backstop (checkpointer.ts) does that part.
 *
 * Only better-sqlite3, Node's own modules and checkpoint-signal.ts here: every import is memory in an
 * isolate of its own.
 */
import { closeSync, openSync, readSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { COMMITTED, STOP, type CheckpointThreadData, type FromCheckpointThread } from './checkpoint-signal.js'

if (parentPort === null) throw new Error('checkpoint-worker.ts runs as a worker thread (checkpointer.ts starts it)')
const port = parentPort
const data = workerData as CheckpointThreadData
const signal = new Int32Array(data.signal)
const db = new Database(data.file, { fileMustExist: true })
db.pragma(`busy_timeout = ${data.busyTimeoutMs}`)
// The copy is synced as the commits are (db.ts): a checkpoint that did not fsync the database file would let
// the next writer overwrite WAL frames whose pages are not durable anywhere else.
db.pragma('synchronous = FULL')
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)').raw()

/** The WAL header's first salt: SQLite changes it each time the WAL starts again from its beginning. */
function walSalt (): number | undefined {
  let fd: number | undefined
  try {
    fd = openSync(`${data.file}-wal`, 'r')
    const header = Buffer.alloc(4)
    return readSync(fd, header, 0, 4, 16) === 4 ? header.readUInt32BE(0) : undefined
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

let last = { salt: walSalt(), checkpointed: 0 }

function run (): void {
  try {
    const salt = walSalt()
    const [busy, log, checkpointed] = checkpoint.get() as [number, number, number]
    // Frames of this WAL already counted by the run before, unless the WAL started again since.
    const before = salt === last.salt ? last.checkpointed : 0
    const copied = busy !== 0 ? 0 : Math.max(0, checkpointed - before)
    if (busy === 0) last = { salt, checkpointed }
    port.postMessage({ type: 'run', run: { busy: busy !== 0, log, checkpointed, copied } } satisfies FromCheckpointThread)
  } catch (err) {
    // Counted by the gateway; the next run tries again (a commit's own backstop keeps the WAL bounded meanwhile).
    port.postMessage({ type: 'failed', error: (err as Error).message, code: (err as { code?: string }).code } satisfies FromCheckpointThread)
  }
}

let seen = Atomics.load(signal, COMMITTED)
// What was committed before this thread began to wait (while none ran, after a lost one, or while it
// started) is counted nowhere: copied now, or it would wait for the next everyUnits of commits.
run()
let pending = 0
while (Atomics.load(signal, STOP) === 0) {
  const woke = Atomics.wait(signal, COMMITTED, seen, pending > 0 ? data.idleMs : undefined)
  const now = Atomics.load(signal, COMMITTED)
  pending += (now - seen) | 0
  seen = now
  if (Atomics.load(signal, STOP) !== 0) break
  if (pending >= data.everyUnits || (woke === 'timed-out' && pending > 0)) {
    pending = 0
    run()
  }
}
db.close()
port.close()
