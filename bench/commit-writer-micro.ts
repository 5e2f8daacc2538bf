/**
 * The commit thread's work alone, without MQTT or a second thread: CommitWriter with the rules step
 * (RowFlagger, default rules, history on the same connection) on a temp file, groups of jobs of one
 * device's consecutive punches each, as the ingest shapes send them. Prints the CPU per row of the whole
 * commit and of its parts, so a cheaper form of the insert or of the rules can be measured against it;
 * repeatable in instructions under `valgrind --tool=callgrind` (docs/DESIGN-NOTES.md, "Less SQLite work
 * per punch on the commit thread").
 *
 *   node dist/bench/commit-writer-micro.js [groups] [devices] [rows per job] [variant]
 *
 * variant: `full` (the gateway's commit), `no-rules` (inserts only), `no-pending` (the pending-set
 * triggers dropped from the temp file), `insert-only` (neither), `set-pending` (the triggers dropped and
 * the pending set kept by two set-based statements after the inserts, in the same transaction).
 */
import { join } from 'node:path'
import { openDatabase } from '../gateway/store/db.js'
import { PunchStore, type PunchRow } from '../gateway/store/punch-store.js'
import { PunchHistory } from '../gateway/rules/history.js'
import { RowFlagger, type FlagInputs } from '../gateway/rules/flagger.js'
import { SiteMap } from '../gateway/rules/sites.js'
import { DEFAULT_RULES } from '../gateway/rules/rules.js'
import { CommitWriter, type JobRows } from '../gateway/ingest/commit-writer.js'
import { removeTempDir, tempDir } from './children.js'

const [groups, devices, perJob] = [2, 3, 4].map((at, i) => Number(process.argv[at] ?? [40, 50, 100][i]))
const variant = process.argv[5] ?? 'full'
if (!['full', 'no-rules', 'no-pending', 'insert-only', 'set-pending'].includes(variant)) throw new Error(`variant: full, no-rules, no-pending, insert-only or set-pending, got '${variant}'`)

const dir = tempDir('punchline-writer-micro-')
try {
  const db = openDatabase(join(dir, 'micro.db'))
  if (variant !== 'full' && variant !== 'no-rules') db.exec('DROP TRIGGER punches_pending; DROP TRIGGER pending_added')
  const rules = variant !== 'no-rules' && variant !== 'insert-only'
  const lastId = db.prepare('SELECT max(id) AS id FROM punches').pluck()
  const addPending = db.prepare('INSERT INTO pending (id, device, ts) SELECT id, device, ts FROM punches WHERE id > ?')
  const addTotal = db.prepare('UPDATE pending_total SET n = n + ?')
  // The micro-bench is the file's only writer, so the last id read before the transaction is its own.
  const pendingAfter = (from: number) => (): void => { addTotal.run(addPending.run(from).changes) }
  const flagger = new RowFlagger({ rules: DEFAULT_RULES, sites: new SiteMap({}), history: new PunchHistory(db) })
  const inputs: FlagInputs = { badge: { configured: false }, jump: undefined }
  const writer = new CommitWriter<JobRows>(db, new PunchStore(db), rules ? (job, i) => flagger.flag(job.rows[i], job.received, inputs) : undefined)
  const now = Date.now()
  const seqs = new Array<number>(devices).fill(0)
  const jobOf = (d: number): JobRows => {
    const rows: PunchRow[] = []
    for (let i = 0; i < perJob; i++) {
      const seq = ++seqs[d]
      rows.push({ device: `MICRO-${d}`, epoch: '0000000a', tz: undefined, flags: '', punch: { seq, ts: now - 86_400_000 + seq * 60_000, emp: 'E' + String(1000 + ((d * 7 + seq) % 500)), kind: seq % 2 === 0 ? 'in' : 'out', method: 'card', clock: 'synced' } })
    }
    return { rows, received: now }
  }
  // Warm-up: one group, not counted.
  writer.commit(Array.from({ length: devices }, (_, d) => jobOf(d)))
  let cpu = 0
  let wall = 0
  for (let g = 0; g < groups; g++) {
    const jobs = Array.from({ length: devices }, (_, d) => jobOf(d))
    const c0 = process.cpuUsage()
    const w0 = performance.now()
    if (variant === 'set-pending') writer.commit(jobs, pendingAfter((lastId.get() as number | null) ?? 0))
    else writer.commit(jobs)
    wall += performance.now() - w0
    const c = process.cpuUsage(c0)
    cpu += c.user + c.system
  }
  const rows = groups * devices * perJob
  console.log(JSON.stringify({ variant, rows, cpuUsPerRow: +(cpu / rows).toFixed(2), wallUsPerRow: +(wall * 1000 / rows).toFixed(2) }))
  db.close()
} finally {
  removeTempDir(dir)
}
