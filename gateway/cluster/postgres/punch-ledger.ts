/**
 * The group commit into PostgreSQL: every job's rows in one transaction, inserted by multi-row statements
 * (`INSERT ... SELECT FROM unnest(...)`, one array parameter per column, at most `maxRowsPerStatement`
 * rows each) with `ON CONFLICT DO NOTHING`, which skips a row that either dedup key already holds:
 * (device, epoch, seq), or (device, source_id) where the source gives its own identity. Each new punch
 * gets its outbox row in the same statement. The rows the inserts did not return are then read back
 * by key, in one statement per kind of key, to tell a plain resend (known) from one that says
 * something else (a conflict: the stored copy wins). The answer per job is CommitWriter's
 * (gateway/ingest/commit-writer.ts), and so is the fallback: a failed shared transaction is tried again
 * job by job, so one bad job fails alone. With rules (group-flagger.ts), every row is flagged in the
 * same transaction before the inserts, as the single box flags inside its commit.
 */
import type pg from 'pg'
import type { CommitOutcome, CommitResult, JobRows } from '../../ingest/commit-writer.js'
import { contentDiffers, type PunchRow, type StoredContent } from '../../store/punch-store.js'
import { inTransaction, StoreUnreachable } from './pool.js'

/** rows per INSERT statement: bounds the parameters' size and the server's work per statement */
export const DEFAULT_MAX_ROWS_PER_STATEMENT = 1000

const INSERT = `
  WITH ins AS (
    INSERT INTO punches (device, epoch, seq, ts, tz, emp, kind, method, clock, lat, lon, acc, manual, flags, received, up, person, source_id, source)
    SELECT device, epoch, seq, ts, tz, emp, kind, method, clock, lat, lon, acc, manual, flags, received, up, person, source_id, source
    FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::int4[], $6::text[], $7::text[], $8::text[], $9::text[],
                $10::float8[], $11::float8[], $12::float8[], $13::text[], $14::text[], $15::int8[], $16::int8[], $17::text[], $18::text[], $19::text[])
      WITH ORDINALITY AS r (device, epoch, seq, ts, tz, emp, kind, method, clock, lat, lon, acc, manual, flags, received, up, person, source_id, source, ord)
    ORDER BY ord
    ON CONFLICT DO NOTHING
    RETURNING id, device, epoch, seq, source_id
  ), queued AS (
    INSERT INTO outbox (punch_id) SELECT id FROM ins
  )
  SELECT device, epoch, seq, source_id FROM ins`

const CONTENT = 'device, epoch, seq, source_id, ts, emp, kind, method, clock, lat, lon, acc, manual'
const STORED_BY_IDENTITY = `SELECT ${CONTENT} FROM punches
  WHERE (device, epoch, seq) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::int8[]))`
const STORED_BY_SOURCE = `SELECT ${CONTENT} FROM punches
  WHERE source_id IS NOT NULL AND (device, source_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`

interface KnownRow { job: number, row: PunchRow }
interface Identity { device: string, epoch: string, seq: number, source_id: string | null }
type StoredCopy = Identity & StoredContent

/** the key a row is deduplicated on: its source's identity when it has one */
function keyOf (device: string, epoch: string, seq: number, sourceId: string | null | undefined): string {
  return sourceId === null || sourceId === undefined ? `e\u0000${device}\u0000${epoch}\u0000${seq}` : `s\u0000${device}\u0000${sourceId}`
}

function rowKey (r: PunchRow): string {
  return keyOf(r.device, r.epoch, r.punch.seq, r.sourceId)
}

/** the rules step: flags the group's rows on the transaction's connection, before they are inserted */
export type FlagGroup = (c: pg.PoolClient, jobs: readonly JobRows[]) => Promise<void>

export class PunchLedger {
  readonly #pool: pg.Pool
  readonly #maxRows: number
  readonly #flag: FlagGroup | undefined

  constructor (pool: pg.Pool, maxRowsPerStatement = DEFAULT_MAX_ROWS_PER_STATEMENT, flag?: FlagGroup) {
    this.#pool = pool
    this.#maxRows = maxRowsPerStatement
    this.#flag = flag
  }

  async commit (jobs: readonly JobRows[]): Promise<CommitOutcome> {
    try {
      return { results: await this.#transaction(jobs), transactions: 1, fallbacks: 0, failedJobs: 0 }
    } catch (err) {
      if (err instanceof StoreUnreachable) return { results: jobs.map(() => err), transactions: 0, fallbacks: 0, failedJobs: jobs.length }
      const out: CommitOutcome = { results: [], transactions: 0, fallbacks: 1, failedJobs: 0 }
      for (const job of jobs) {
        try {
          out.results.push((await this.#transaction([job]))[0])
          out.transactions++
        } catch (err) {
          out.failedJobs++
          out.results.push(err as Error)
        }
      }
      return out
    }
  }

  async #transaction (jobs: readonly JobRows[]): Promise<CommitResult[]> {
    return await inTransaction(this.#pool, async c => {
      if (this.#flag !== undefined) await this.#flag(c, jobs)
      const inserted = new Set<string>()
      const pending: Array<{ row: PunchRow, received: number }> = []
      for (const job of jobs) for (const row of job.rows) pending.push({ row, received: job.received })
      // Every node inserts in the order of the keys, so two nodes storing the same punches at once (a
      // device's resend through another node) wait for each other instead of deadlocking. The sort is
      // stable: of a key's rows the first in the group still goes in first, and is the one stored.
      pending.sort(byKey)
      for (let i = 0; i < pending.length; i += this.#maxRows) {
        const res = await c.query<Identity>(INSERT, columns(pending.slice(i, i + this.#maxRows)))
        for (const r of res.rows) inserted.add(keyOf(r.device, r.epoch, r.seq, r.source_id))
      }
      // Rows go in in that order, so the row of a key inserted is its first in the group: later ones are resends.
      const results: CommitResult[] = []
      const known: KnownRow[] = []
      for (const [j, job] of jobs.entries()) {
        const result: CommitResult = { stored: [], known: [], conflicts: [] }
        for (const row of job.rows) {
          const key = rowKey(row)
          if (inserted.delete(key)) {
            result.stored.push(row.punch.seq)
          } else {
            result.known.push(row.punch.seq)
            known.push({ job: j, row })
          }
        }
        results.push(result)
      }
      if (known.length > 0) await this.#markConflicts(c, results, known)
      return results
    })
  }

  /** Reads the stored copies of the rows not inserted and lists, per job, the seqs whose copy differs. */
  async #markConflicts (c: pg.PoolClient, results: CommitResult[], known: KnownRow[]): Promise<void> {
    const stored = new Map<string, StoredCopy>()
    const byIdentity = known.map(k => k.row).filter(r => r.sourceId === undefined)
    const bySource = known.map(k => k.row).filter(r => r.sourceId !== undefined)
    for (let i = 0; i < byIdentity.length; i += this.#maxRows) {
      const part = byIdentity.slice(i, i + this.#maxRows)
      const res = await c.query<StoredCopy>(STORED_BY_IDENTITY, [part.map(r => r.device), part.map(r => r.epoch), part.map(r => r.punch.seq)])
      for (const s of res.rows) stored.set(keyOf(s.device, s.epoch, s.seq, null), s)
    }
    for (let i = 0; i < bySource.length; i += this.#maxRows) {
      const part = bySource.slice(i, i + this.#maxRows)
      const res = await c.query<StoredCopy>(STORED_BY_SOURCE, [part.map(r => r.device), part.map(r => r.sourceId)])
      for (const s of res.rows) stored.set(keyOf(s.device, s.epoch, s.seq, s.source_id), s)
    }
    for (const { job, row } of known) {
      const s = stored.get(rowKey(row))
      // A row skipped for a reason other than a stored twin must fail its job, never be acked as known.
      if (s === undefined) throw new Error(`punch ${row.sourceId ?? `${row.device}:${row.epoch}:${row.punch.seq}`} was neither stored nor found`)
      if (contentDiffers(s, row.punch)) results[job].conflicts.push(row.punch.seq)
    }
  }
}

function byKey (x: { row: PunchRow }, y: { row: PunchRow }): number {
  const a = x.row
  const b = y.row
  if (a.device !== b.device) return a.device < b.device ? -1 : 1
  // A source's punches are kept unique by their source_id: ordered by it, the index they lock in.
  const as = a.sourceId
  const bs = b.sourceId
  if ((as === undefined) !== (bs === undefined)) return as === undefined ? -1 : 1
  if (as !== undefined && bs !== undefined && as !== bs) return as < bs ? -1 : 1
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1
  return a.punch.seq - b.punch.seq
}

/** The statement's parameters: one array per column, in the INSERT's order. */
function columns (rows: ReadonlyArray<{ row: PunchRow, received: number }>): unknown[][] {
  const cols: unknown[][] = Array.from({ length: 19 }, () => new Array<unknown>(rows.length))
  rows.forEach(({ row, received }, i) => {
    const p = row.punch
    const values = [row.device, row.epoch, p.seq, p.ts, row.tz ?? null, p.emp, p.kind, p.method, p.clock,
      p.loc?.lat ?? null, p.loc?.lon ?? null, p.loc?.acc ?? null, p.manual?.reason ?? null, row.flags, received, p.up ?? null,
      row.person ?? null, row.sourceId ?? null, row.source ?? null]
    for (let k = 0; k < values.length; k++) cols[k][i] = values[k]
  })
  return cols
}
