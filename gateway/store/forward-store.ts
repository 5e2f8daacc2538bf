/**
 * The outbox, kept as a cursor and id ranges (docs/DESIGN-NOTES.md): punches past `meta.forward_cursor`
 * belong to no batch yet; each `forward_batches` row covers the stored punches with ids in
 * [first_id, last_id] and keeps its Idempotency-Key across retries and restarts. A delivered batch's row is
 * deleted, a split replaces one row with two, a poison punch becomes a `dead_letters` row.
 *
 * Batches are formed lazily, only when the forwarder has a free slot, so an outage backlog of millions of
 * punches is millions of punch rows and a handful of batch rows, never millions of outbox rows.
 *
 * Every stored punch is also a `pending` row (migration 5) until `complete()` records its delivery; the
 * watermarks and the backlog figures read that set and its totals, never the backlog itself.
 */
import { randomUUID } from 'node:crypto'
import { MetaInteger, type Db, type Statement } from './db.js'
import { STORED_COLUMNS, storedPunch, type StoredPunch, type StoredRow } from './punch-store.js'

export type { StoredPunch }

export interface ForwardBatch {
  key: string
  firstId: number
  lastId: number
  attempts: number
  nextAt: number
  created: number
  lastError: string | null
}

export interface DeadLetter {
  /** the punch's row id, what `punchline deadletters replay` takes */
  rowId: number
  /** the punch's identity `device:epoch:seq` */
  punch: string
  emp: string
  ts: number
  /** the upstream's HTTP status, when it answered */
  status: number | null
  reason: string
  at: number
  /** 'refused': the upstream refused the record; 'unmapped': waiting for a roster entry (or an upstream fix) that maps the person */
  kind: DeadLetterKind
}

export type DeadLetterKind = 'refused' | 'unmapped'

export interface Backlog {
  /** outbox batches formed and not yet delivered */
  batches: number
  /** stored punches the upstream has not accepted yet (dead letters not included) */
  pendingPunches: number
  /** when the oldest of them was stored (ms since epoch), null when nothing is pending */
  oldestReceived: number | null
  /** punches parked in dead letters */
  deadLetters: number
}

interface BatchRow {
  key: string
  first_id: number
  last_id: number
  attempts: number
  next_at: number
  created: number
  last_error: string | null
}

/** Longest stored reason text: upstream error bodies are bounded before they reach the database. */
const MAX_REASON = 1000
/** most batches looked at after the one merged (each holds at least one punch, so batchSize is the most useful) */
const MERGE_SCAN = 5000

export class ForwardStore {
  readonly #db: Db
  readonly #cursor: MetaInteger
  readonly #pastCursor: Statement
  readonly #insertBatch: Statement
  readonly #deleteBatch: Statement
  readonly #getBatch: Statement
  readonly #dueBatches: Statement
  readonly #nextDue: Statement
  readonly #reschedule: Statement
  readonly #rangeIds: Statement
  readonly #rangePunches: Statement
  readonly #insertDead: Statement
  readonly #countPast: Statement
  readonly #lowestBatch: Statement
  readonly #receivedFrom: Statement
  readonly #batchPastCursor: Statement
  readonly #overlapping: Statement
  readonly #settle: Statement
  readonly #pendingTotal: Statement
  readonly #openDeadLetters: Statement
  readonly #oldestPending: () => number | null
  readonly #parkedInBatches: Statement
  readonly #batchCount: Statement
  readonly #batchesAfter: Statement
  readonly #countRange: Statement
  readonly #punchBetween: Statement
  readonly #insertMerged: Statement
  readonly #dueCount: Statement

  constructor (db: Db) {
    this.#db = db
    this.#cursor = new MetaInteger(db, 'forward_cursor')
    this.#pastCursor = db.prepare('SELECT id, received FROM punches WHERE id > ? ORDER BY id LIMIT ?')
    this.#batchPastCursor = db.prepare('SELECT min(id) AS first, max(id) AS last FROM (SELECT id FROM punches WHERE id > ? ORDER BY id LIMIT ?)')
    this.#countRange = db.prepare('SELECT count(*) AS n FROM punches WHERE id BETWEEN ? AND ?')
    this.#batchesAfter = db.prepare('SELECT * FROM forward_batches WHERE first_id > ? ORDER BY first_id LIMIT ?')
    this.#punchBetween = db.prepare('SELECT 1 FROM punches WHERE id > ? AND id < ? LIMIT 1')
    this.#insertMerged = db.prepare('INSERT INTO forward_batches (key, first_id, last_id, attempts, next_at, created, last_error) VALUES (?, ?, ?, ?, ?, ?, ?)')
    this.#insertBatch = db.prepare('INSERT INTO forward_batches (key, first_id, last_id, attempts, next_at, created) VALUES (?, ?, ?, 0, ?, ?)')
    this.#deleteBatch = db.prepare('DELETE FROM forward_batches WHERE key = ?')
    this.#getBatch = db.prepare('SELECT * FROM forward_batches WHERE key = ?')
    this.#dueBatches = db.prepare('SELECT * FROM forward_batches WHERE next_at <= ? ORDER BY first_id LIMIT ?')
    this.#nextDue = db.prepare('SELECT min(next_at) AS at FROM forward_batches')
    this.#dueCount = db.prepare('SELECT count(*) AS n FROM forward_batches WHERE next_at <= ?')
    this.#reschedule = db.prepare('UPDATE forward_batches SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE key = ?')
    this.#rangeIds = db.prepare('SELECT id FROM punches WHERE id BETWEEN ? AND ? ORDER BY id')
    this.#rangePunches = db.prepare(`SELECT ${STORED_COLUMNS} FROM punches WHERE id BETWEEN ? AND ? ORDER BY id`).raw(true)
    this.#countPast = db.prepare('SELECT count(*) AS n FROM (SELECT 1 FROM punches WHERE id > ? LIMIT ?)')
    this.#lowestBatch = db.prepare('SELECT min(first_id) AS id FROM forward_batches')
    this.#receivedFrom = db.prepare('SELECT received FROM punches WHERE id >= ? ORDER BY id LIMIT 1')
    this.#overlapping = db.prepare('SELECT first_id, last_id FROM forward_batches WHERE first_id <= ? AND last_id >= ?')
    // What a delivery settles: the range's punches, except those parked (they stay until replayed or fixed).
    this.#settle = db.prepare(`DELETE FROM pending WHERE id BETWEEN ? AND ? AND id NOT IN
      (SELECT punch_id FROM dead_letters WHERE punch_id BETWEEN ? AND ? AND replayed IS NULL)`)
    this.#pendingTotal = db.prepare('SELECT n FROM pending_total')
    this.#openDeadLetters = db.prepare('SELECT kind, n FROM dead_letter_open WHERE n > 0')
    // Made once: the simulator's settle asks every few ms, the gauges and alarms on every look.
    this.#oldestPending = db.transaction((): number | null => {
      // Batches always lie below the cursor (replays included), so the lowest batch, if any, holds the oldest.
      const lowest = (this.#lowestBatch.get() as { id: number | null }).id
      const row = lowest !== null
        ? this.#receivedFrom.get(lowest) as { received: number } | undefined
        : this.#pastCursor.get(this.cursor(), 1) as { received: number } | undefined
      return row?.received ?? null
    })
    // One probe of dead letters per batch (few): never a pass over the dead letters or the backlog.
    this.#parkedInBatches = db.prepare(`SELECT count(*) AS n FROM forward_batches b JOIN dead_letters d
      ON d.punch_id BETWEEN b.first_id AND b.last_id WHERE d.replayed IS NULL`)
    this.#batchCount = db.prepare('SELECT count(*) AS n FROM forward_batches')
    this.#insertDead = db.prepare(`INSERT INTO dead_letters (punch_id, status, reason, at, replayed, kind) VALUES (?, ?, ?, ?, NULL, ?)
      ON CONFLICT (punch_id) DO UPDATE SET status = excluded.status, reason = excluded.reason, at = excluded.at, replayed = NULL, kind = excluded.kind`)
  }

  /**
   * What is waiting past the cursor, for deciding whether a batch is worth forming now: how many punches
   * (counted up to `limit`) and when the first of them was stored.
   */
  waiting (limit: number): { count: number, firstReceived: number | null } {
    // Runs after every commit: count inside SQLite and read one row, rather than hand `limit` rows to JS.
    const cursor = this.cursor()
    const first = this.#pastCursor.get(cursor, 1) as { id: number, received: number } | undefined
    if (first === undefined) return { count: 0, firstReceived: null }
    return { count: (this.#countPast.get(cursor, limit) as { n: number }).n, firstReceived: first.received }
  }

  /**
   * Forms the next batch of up to `size` punches past the cursor and persists it with a fresh key before
   * anything is sent, so a crash mid-send retries the same key. Returns undefined when nothing waits.
   */
  formBatch (size: number, now: number): ForwardBatch | undefined {
    // The range's ends only, found inside SQLite: no row objects for a batch formed every few hundred punches.
    return this.#db.transaction((): ForwardBatch | undefined => this.#formNext(size, now)).immediate()
  }

  /**
   * Forms up to `count` batches of up to `size` punches past the cursor in one transaction (one fsync for
   * them all); fewer when fewer punches wait.
   */
  formBatches (size: number, count: number, now: number): ForwardBatch[] {
    return this.#db.transaction((): ForwardBatch[] => {
      const out: ForwardBatch[] = []
      while (out.length < count) {
        const batch = this.#formNext(size, now)
        if (batch === undefined) break
        out.push(batch)
      }
      return out
    }).immediate()
  }

  /**
   * Inside a transaction that stored punches (the commit thread's, outbox-writes.ts): forms full batches
   * past the cursor while fewer than `upTo` batches are due now or in flight. Returns how many it formed.
   */
  claimFull (size: number, upTo: number, now: number): number {
    let due = (this.#dueCount.get(now) as { n: number }).n
    let formed = 0
    while (due < upTo && (this.#countPast.get(this.cursor(), size) as { n: number }).n >= size) {
      this.#formNext(size, now)
      due++
      formed++
    }
    return formed
  }

  #formNext (size: number, now: number): ForwardBatch | undefined {
    const range = this.#batchPastCursor.get(this.cursor(), size) as { first: number | null, last: number | null }
    if (range.first === null || range.last === null) return undefined
    const batch = this.#newBatch(range.first, range.last, now, now)
    this.#cursor.set(batch.lastId)
    return batch
  }

  /**
   * Merges a batch with the batches that follow it while each `joins` (the forwarder knows the upstream
   * never took it and it is not in flight), lies right after the one before (no stored punch between, so
   * no delivered punch is swept in) and the whole stays within `size` punches; when the last reaches the
   * cursor, punches past it fill what is left. The result is a new batch with a new key (another set of
   * punches must not reuse a key), due now, with the most attempts of its parts so the backoff goes on
   * (docs/DESIGN-NOTES.md, "Merging batches after an outage"). `merged` lists the keys it replaced; empty
   * when nothing joined and `batch` is the one given.
   */
  merge (first: ForwardBatch, size: number, joins: (b: ForwardBatch) => boolean, now: number): { batch: ForwardBatch, merged: string[] } {
    return this.#db.transaction((): { batch: ForwardBatch, merged: string[] } => {
      let count = (this.#countRange.get(first.firstId, first.lastId) as { n: number }).n
      const parts = [first]
      let last = first
      for (const row of this.#batchesAfter.all(first.lastId, MERGE_SCAN) as BatchRow[]) {
        if (count >= size) break
        const next = toBatch(row)
        if (!joins(next) || this.#punchBetween.get(last.lastId, next.firstId) !== undefined) break
        const n = (this.#countRange.get(next.firstId, next.lastId) as { n: number }).n
        if (count + n > size) break
        parts.push(next)
        count += n
        last = next
      }
      let lastId = last.lastId
      const cursor = this.cursor()
      if (lastId === cursor && count < size) {
        const tail = this.#batchPastCursor.get(cursor, size - count) as { last: number | null }
        if (tail.last !== null) lastId = tail.last
      }
      if (parts.length === 1 && lastId === first.lastId) return { batch: first, merged: [] }
      for (const p of parts) this.#deleteBatch.run(p.key)
      if (lastId > cursor) this.#cursor.set(lastId)
      const batch: ForwardBatch = {
        key: randomUUID(),
        firstId: first.firstId,
        lastId,
        attempts: Math.max(...parts.map(p => p.attempts)),
        nextAt: now,
        created: Math.min(...parts.map(p => p.created)),
        lastError: first.lastError
      }
      this.#insertMerged.run(batch.key, batch.firstId, batch.lastId, batch.attempts, batch.nextAt, batch.created, batch.lastError)
      return { batch, merged: parts.map(p => p.key) }
    }).immediate()
  }

  /** Batches whose next attempt is due, oldest punches first, skipping the keys already in flight. */
  dueBatches (now: number, limit: number, inFlight: ReadonlySet<string>): ForwardBatch[] {
    const rows = this.#dueBatches.all(now, limit + inFlight.size) as BatchRow[]
    const out: ForwardBatch[] = []
    for (const r of rows) {
      if (inFlight.has(r.key)) continue
      out.push(toBatch(r))
      if (out.length === limit) break
    }
    return out
  }

  /** When the earliest formed batch is next due, or undefined when there is none. */
  nextDueAt (): number | undefined {
    const row = this.#nextDue.get() as { at: number | null }
    return row.at ?? undefined
  }

  get (key: string): ForwardBatch | undefined {
    const row = this.#getBatch.get(key) as BatchRow | undefined
    return row === undefined ? undefined : toBatch(row)
  }

  loadPunches (batch: ForwardBatch): StoredPunch[] {
    return (this.#rangePunches.all(batch.firstId, batch.lastId) as StoredRow[]).map(storedPunch)
  }

  /**
   * The upstream accepted the batch: it leaves the outbox and its punches stop being pending (durable with
   * the next synced commit). The only place a punch stops being pending: every delivery comes through here.
   */
  complete (key: string): void {
    // IMMEDIATE: it reads before it writes, and the commit thread (ingest/pipelined-commit.ts) may commit
    // in between; a deferred transaction would then fail with SQLITE_BUSY_SNAPSHOT instead of waiting.
    this.#unsynced(() => this.#db.transaction(() => {
      const row = this.#getBatch.get(key) as BatchRow | undefined
      if (row === undefined) return
      this.#deleteBatch.run(key)
      this.#settlePending(row.first_id, row.last_id)
    }).immediate())
  }

  /**
   * Removes from `pending` the delivered range's punches that no other batch still covers (a replayed
   * punch inside a batch that waits for a retry) and that are not parked.
   */
  #settlePending (first: number, last: number): void {
    const others = (this.#overlapping.all(last, first) as Array<{ first_id: number, last_id: number }>)
      .sort((a, b) => a.first_id - b.first_id)
    let from = first
    for (const o of others) {
      if (o.first_id > from) this.#settle.run(from, o.first_id - 1, from, o.first_id - 1)
      from = Math.max(from, o.last_id + 1)
      if (from > last) return
    }
    this.#settle.run(from, last, from, last)
  }

  /** The attempt failed in a way worth retrying: count it and set the next attempt (durable with the next synced commit). */
  retryLater (key: string, nextAt: number, error: string): void {
    this.#unsynced(() => this.#reschedule.run(nextAt, error.slice(0, MAX_REASON), key))
  }

  /**
   * Runs one write without waiting for the disk (synchronous=NORMAL), for bookkeeping whose loss at a
   * power cut costs a re-send under the same Idempotency-Key and nothing else: a delivered batch leaving
   * the outbox, a retry's schedule. In WAL mode the next FULL commit (the next group commit, the next batch
   * formed) syncs the log up to and past these frames, so they still reach the disk in order, only later.
   * Forming a batch stays FULL: its key must be on disk before it is sent. Halves the forwarder's fsyncs
   * (docs/BENCHMARKS.md, "Post-outage drain").
   */
  #unsynced (write: () => void): void {
    // Inside a transaction the setting could not change anyway, and the transaction's commit decides.
    if (this.#db.inTransaction) return write()
    this.#db.pragma('synchronous = NORMAL')
    try {
      write()
    } finally {
      this.#db.pragma('synchronous = FULL')
    }
  }

  /**
   * Replaces a batch the upstream refused as a whole by two halves with new keys (a different set of
   * punches must not reuse the key of the whole). Returns the halves; an empty array when the batch held a
   * single punch (use `deadLetter`) or no longer exists.
   */
  split (key: string, now: number): ForwardBatch[] {
    return this.#db.transaction((): ForwardBatch[] => {
      const row = this.#getBatch.get(key) as BatchRow | undefined
      if (row === undefined) return []
      const ids = (this.#rangeIds.all(row.first_id, row.last_id) as Array<{ id: number }>).map(r => r.id)
      this.#deleteBatch.run(key)
      if (ids.length === 0) return []
      if (ids.length === 1) {
        // Put it back untouched: a single punch is split no further.
        this.#insertBatch.run(row.key, row.first_id, row.last_id, row.next_at, row.created)
        return []
      }
      const mid = Math.floor(ids.length / 2)
      return [
        this.#newBatch(ids[0], ids[mid - 1], now, now),
        this.#newBatch(ids[mid], ids[ids.length - 1], now, now)
      ]
    }).immediate()
  }

  /** Parks the punches of a batch (in practice a single one) in dead letters and drops the batch. */
  deadLetter (key: string, status: number | null, reason: string, now: number, kind: DeadLetterKind = 'refused'): number {
    return this.#db.transaction((): number => {
      const row = this.#getBatch.get(key) as BatchRow | undefined
      if (row === undefined) return 0
      // Punches of the range already parked (held for a mapping) keep their own reason and kind.
      const already = this.parkedIds(row.first_id, row.last_id)
      const ids = (this.#rangeIds.all(row.first_id, row.last_id) as Array<{ id: number }>).filter(r => !already.has(r.id))
      for (const { id } of ids) this.#insertDead.run(id, status, reason.slice(0, MAX_REASON), now, kind)
      this.#deleteBatch.run(key)
      return ids.length
    }).immediate()
  }

  /**
   * Parks single punches of a batch that is about to be sent, to wait for a roster entry (`roster.unknown`
   * = 'hold'). The batch keeps its range; a parked punch is left out of what is sent and stays out until
   * replayed.
   */
  park (punchIds: readonly number[], reason: string, now: number): void {
    this.#db.transaction(() => {
      for (const id of punchIds) this.#insertDead.run(id, null, reason.slice(0, MAX_REASON), now, 'unmapped')
    }).immediate()
  }

  /** Is this punch parked (a dead letter not replayed)? */
  parkedIds (firstId: number, lastId: number): Set<number> {
    const rows = this.#db.prepare('SELECT punch_id AS id FROM dead_letters WHERE punch_id BETWEEN ? AND ? AND replayed IS NULL').all(firstId, lastId) as Array<{ id: number }>
    return new Set(rows.map(r => r.id))
  }

  /** The row ids of the punches waiting for a mapping, oldest first, with their device and badge. */
  unmapped (limit: number): Array<{ rowId: number, device: string, emp: string }> {
    return this.#db.prepare(`SELECT d.punch_id AS rowId, p.device AS device, p.emp AS emp
      FROM dead_letters d JOIN punches p ON p.id = d.punch_id
      WHERE d.replayed IS NULL AND d.kind = 'unmapped' ORDER BY d.punch_id LIMIT ?`).all(limit) as Array<{ rowId: number, device: string, emp: string }>
  }

  /** Dead letters not yet replayed, oldest first. */
  listDeadLetters (opts: { limit: number }): DeadLetter[] {
    return this.#db.prepare(`SELECT d.punch_id AS rowId, COALESCE(p.source_id, p.device || ':' || p.epoch || ':' || p.seq) AS punch,
        p.emp AS emp, p.ts AS ts, d.status AS status, d.reason AS reason, d.at AS at, d.kind AS kind
      FROM dead_letters d JOIN punches p ON p.id = d.punch_id
      WHERE d.replayed IS NULL ORDER BY d.at, d.punch_id LIMIT ?`).all(opts.limit) as DeadLetter[]
  }

  /**
   * Sends dead letters again: each becomes a new one-punch batch, due now. Safe while the gateway runs
   * (another process's writes wait on the busy timeout). Returns how many were replayed.
   */
  replayDeadLetters (which: readonly number[] | 'all' | DeadLetterKind, now: number): number {
    return this.#db.transaction((): number => {
      const rows = which === 'all'
        ? this.#db.prepare('SELECT punch_id FROM dead_letters WHERE replayed IS NULL ORDER BY punch_id').all() as Array<{ punch_id: number }>
        : typeof which === 'string'
          ? this.#db.prepare('SELECT punch_id FROM dead_letters WHERE replayed IS NULL AND kind = ? ORDER BY punch_id').all(which) as Array<{ punch_id: number }>
          : which.flatMap(id => this.#db.prepare('SELECT punch_id FROM dead_letters WHERE punch_id = ? AND replayed IS NULL').all(id) as Array<{ punch_id: number }>)
      const mark = this.#db.prepare('UPDATE dead_letters SET replayed = ? WHERE punch_id = ?')
      for (const { punch_id: id } of rows) {
        this.#newBatch(id, id, 0, now)
        mark.run(now, id)
      }
      return rows.length
    }).immediate()
  }

  /**
   * From the totals kept with their rows (migration 5), so a scrape or an API call costs a few probes whatever
   * the backlog: the pending punches less those parked outside any batch (a parked punch still inside a
   * batch's range, held for a mapping, counts as the batch's).
   */
  backlog (): Backlog {
    const batches = this.#batchCount.get() as { n: number }
    const total = (this.#pendingTotal.get() as { n: number }).n
    const dead = this.openDeadLetters()
    let open = 0
    for (const n of Object.values(dead)) open += n
    const parkedInBatches = open === 0 ? 0 : (this.#parkedInBatches.get() as { n: number }).n
    return { batches: batches.n, pendingPunches: total - open + parkedInBatches, oldestReceived: this.oldestPendingReceived(), deadLetters: open }
  }

  /** Dead letters not replayed, by kind (only kinds that have some). */
  openDeadLetters (): Record<string, number> {
    const out: Record<string, number> = {}
    for (const r of this.#openDeadLetters.all() as Array<{ kind: string, n: number }>) out[r.kind] = r.n
    return out
  }

  /**
   * When the oldest punch the upstream has not accepted was stored, or null: two index probes, cheap enough
   * for every scrape (backlog() counts rows and is not).
   *
   * Both probes read one snapshot (a deferred transaction: the first read fixes it, WAL). The commit thread
   * forms a batch and moves the cursor past its punches in one transaction on its own connection; read as
   * two statements, a commit between them showed no batch yet and then the moved cursor: nothing pending
   * while an acknowledged punch waited (docs/DESIGN-NOTES.md, "The simulator's settle").
   */
  oldestPendingReceived (): number | null {
    return this.#oldestPending()
  }

  /** The highest punch id already in some batch: punches past it belong to none yet. */
  cursor (): number {
    return this.#cursor.get()
  }

  #newBatch (firstId: number, lastId: number, nextAt: number, now: number): ForwardBatch {
    const key = randomUUID()
    this.#insertBatch.run(key, firstId, lastId, nextAt, now)
    return { key, firstId, lastId, attempts: 0, nextAt, created: now, lastError: null }
  }
}

function toBatch (r: BatchRow): ForwardBatch {
  return { key: r.key, firstId: r.first_id, lastId: r.last_id, attempts: r.attempts, nextAt: r.next_at, created: r.created, lastError: r.last_error }
}
