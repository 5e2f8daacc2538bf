/**
 * The forwarder's hot writes to the outbox: recording a delivery and claiming new batches. Behind one
 * interface because where they run depends on where the commits run. With the commits in the event loop
 * they run there too, at once (`directOutboxWrites`). With the commits on a thread
 * (ingest/pipelined-commit.ts) they ride in that thread's next transaction, on its connection: SQLite has
 * one writer, and a write from the loop's own connection waited for the thread's lock inside the busy
 * handler, asleep, with every socket of the gateway waiting behind it (docs/DESIGN-NOTES.md, "The
 * forwarder's writes on the commit thread"). The rarer writes (a retry's schedule, a split, a dead letter,
 * a merge after an outage) stay on the loop's connection.
 */
import type { ForwardBatch, ForwardStore } from './forward-store.js'

export interface OutboxWrites {
  /**
   * The upstream took the batch: it leaves the outbox and its punches stop being pending. Resolves once
   * that is committed; until then the batch row is still there, and must not be sent again.
   */
  complete: (key: string) => Promise<void>
  /**
   * Forms up to `count` batches of up to `size` punches past the cursor, each durable (its key on disk)
   * before this resolves with them; fewer, or none, when fewer punches wait.
   */
  formBatches: (size: number, count: number, now: number) => Promise<ForwardBatch[]>
}

/**
 * What the commit thread may claim for the forwarder in a transaction that stored punches: full batches,
 * while fewer than `upTo` batches are due or in flight, so the forwarder finds them ready instead of asking
 * for each (which costs it a transaction of its own). Asked for at each handover; none while the upstream
 * fails (forwarder.ts: no batch is formed of the backlog then).
 */
export interface OutboxClaim {
  size: number
  upTo: number
  now: number
}

/** The writes on the connection of the caller, synchronous: the commits run in the event loop too. */
export function directOutboxWrites (store: ForwardStore): OutboxWrites {
  return {
    complete: async (key) => { store.complete(key) },
    formBatches: async (size, count, now) => store.formBatches(size, count, now)
  }
}
