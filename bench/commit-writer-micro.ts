/**
 * The commit thread's work alone, without MQTT or a second thread: CommitWriter with the rules step
 * (RowFlagger, default rules, history on the same connection) on a temp file, groups of jobs of one
 * device's consecutive punches each, as the ingest shapes send them. Prints the CPU per row of the whole
 * commit and of its parts, so a cheaper form of the insert or of the rules can be measured against it;
 * repeatable in instructions under `valgrind --tool=callgrind` (docs/DESIGN-NOTES.md, "Less SQLite work
 * per punch on the commit thread").
 *
 *   node dist/bench/commit-writer-micro.js [groups] [devices] [rows per job] [variant] [age]
 *
 * variant: `full` (the gateway's commit), `no-rules` (inserts, with their pending rows and reviews filed).
 * age: `late` (a day old: every punch flagged late-sync, so each opens a review, as after a long outage) or
 * `recent` (within the hour, unflagged, as the ingest shapes send them).
 * Until migration 10 the pending rows and reviews were filed by triggers per row; the variants that dropped
 * those triggers went with them (docs/DESIGN-NOTES.md, "The pending set and reviews filed per transaction",
 * has their figures).
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
const age = process.argv[6] ?? 'late'
if (age !== 'late' && age !== 'recent') throw new Error(`age: late or recent, got '${age}'`)
if (variant !== 'full' && variant !== 'no-rules') throw new Error(`variant: full or no-rules, got '${variant}'`)

const dir = tempDir('punchline-writer-micro-')
try {
  const db = openDatabase(join(dir, 'micro.db'))
  const rules = variant === 'full'
  const flagger = new RowFlagger({ rules: DEFAULT_RULES, sites: new SiteMap({}), history: new PunchHistory(db) })
  const inputs: FlagInputs = { badge: { configured: false }, jump: undefined }
  const writer = new CommitWriter<JobRows>(db, new PunchStore(db), rules ? (job, i) => flagger.flag(job.rows[i], job.received, inputs) : undefined)
  const now = Date.now()
  const seqs = new Array<number>(devices).fill(0)
  const jobOf = (d: number): JobRows => {
    const rows: PunchRow[] = []
    for (let i = 0; i < perJob; i++) {
      const seq = ++seqs[d]
      rows.push({ device: `MICRO-${d}`, epoch: '0000000a', tz: undefined, flags: '', punch: { seq, ts: age === 'late' ? now - 86_400_000 + seq * 60_000 : now - 3_600_000 + seq * 500, emp: 'E' + String(1000 + ((d * 7 + seq) % 500)), kind: seq % 2 === 0 ? 'in' : 'out', method: 'card', clock: 'synced' } })
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
    writer.commit(jobs)
    wall += performance.now() - w0
    const c = process.cpuUsage(c0)
    cpu += c.user + c.system
  }
  const rows = groups * devices * perJob
  console.log(JSON.stringify({ variant, age, rows, cpuUsPerRow: +(cpu / rows).toFixed(2), wallUsPerRow: +(wall * 1000 / rows).toFixed(2) }))
  db.close()
} finally {
  removeTempDir(dir)
}
