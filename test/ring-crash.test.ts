/**
 * A writer process (test/fixtures/ring-writer.ts) killed with SIGKILL at random points, again and again,
 * on the same ring file. After each kill the file is reopened and checked: every punch the child reported
 * as accepted is there, intact; only the append in progress may be missing; seqs keep increasing across
 * kills and never repeat. Some rounds also tear the in-progress record, as a power cut could.
 */
import t from 'tap'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openFileRing } from '../device/ring/index.js'
import { slotOnDisk, tear } from '../faults/torn-write.js'
import { runUntilCut } from '../faults/cut-child.js'
import type { Punch } from '../shared/punch.js'
import { seededRandom } from '../sim/workload/seeded-random.js'

const WRITER = fileURLToPath(new URL('./fixtures/ring-writer.ts', import.meta.url))
const CAPACITY = 64
const KEEP = 20
const RUNS = 25

interface Run {
  epoch: string | undefined
  reported: Punch[]
  code: number | null
  signal: NodeJS.Signals | null
  stderr: string
}

/** Starts the writer and kills it `delayMs` after it is ready (or after it starts, if `early`). */
async function runAndKill (path: string, run: number, delayMs: number, early: boolean): Promise<Run> {
  const { lines, code, signal, stderr } = await runUntilCut(WRITER, [path, String(CAPACITY), String(KEEP), String(run)], delayMs, early)
  const epoch = lines[0]?.startsWith('ready ') === true ? lines[0].slice(6) : undefined
  const reported = lines.filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Punch)
  return { epoch, reported, code, signal, stderr }
}

t.test('SIGKILL at random points: no accepted punch lost, no seq repeated', async t => {
  const path = join(t.testdir(), 'ring.bin')
  const random = seededRandom(20250106)
  let epoch: string | undefined
  /** the highest seq on disk at the last check; the next writer must continue right after it */
  let highest = 0
  let accepted = 0
  let torn = 0
  let inFlightSeen = 0

  for (let run = 1; run <= RUNS; run++) {
    const problems: string[] = []
    const early = run % 5 === 0
    const r = await runAndKill(path, run, early ? Math.floor(random() * 400) : 5 + Math.floor(random() * 150), early)
    if (r.signal !== 'SIGKILL') {
      t.fail(`run ${run}: the writer ended by itself (code ${r.code}): ${r.stderr}`)
      break
    }
    if (r.epoch !== undefined) {
      epoch ??= r.epoch
      if (r.epoch !== epoch) problems.push(`epoch changed from ${epoch} to ${r.epoch}`)
    }
    const seqs = r.reported.map(p => p.seq)
    // Each run continues right after the highest seq the previous check found on disk, then counts up by one.
    for (let i = 0; i < seqs.length; i++) {
      const before = i === 0 ? highest : seqs[i - 1]
      if (seqs[i] !== before + 1) problems.push(`seq ${seqs[i]} follows ${before}`)
    }
    const last = seqs.length > 0 ? seqs[seqs.length - 1] : highest
    accepted += seqs.length

    // A power cut could also have torn the append in progress: sometimes make it so.
    if (epoch !== undefined && run % 4 === 0) {
      const slot = slotOnDisk(path, CAPACITY, epoch, last + 1)
      if (slot >= 0) { tear(path, slot); torn++ }
    }

    const ring = openFileRing({ path, capacity: CAPACITY })
    let beyond: number[] = []
    try {
      const st = ring.stats()
      if (st.corrupt > torn + 1) problems.push(`${st.corrupt} damaged records, ${torn} torn on purpose`)
      const pending = ring.pending({ order: 'oldest', limit: CAPACITY })
      const pendingSeqs = pending.map(p => p.seq)
      for (let i = 1; i < pendingSeqs.length; i++) {
        if (pendingSeqs[i] <= pendingSeqs[i - 1]) problems.push(`pending seqs out of order or repeated: ${pendingSeqs.join(',')}`)
      }
      beyond = pendingSeqs.filter(s => s > last)
      if (beyond.length > 3) problems.push(`${beyond.length} unreported punches (only the append in progress may be there)`)
      inFlightSeen += beyond.length

      const mustBePending = r.reported.filter(p => p.seq > last - KEEP)
      const bySeq = new Map(pending.map(p => [p.seq, p]))
      for (const p of mustBePending) {
        const got = bySeq.get(p.seq)
        if (got === undefined) problems.push(`accepted punch ${p.seq} is missing`)
        else if (JSON.stringify(got) !== JSON.stringify(p)) problems.push(`punch ${p.seq} differs: ${JSON.stringify(got)}`)
      }
      // Older ones may be acked and their slots reused; any still stored must be intact.
      for (const got of ring.read(r.reported.filter(p => p.seq <= last - KEEP).map(p => p.seq))) {
        const want = r.reported.find(p => p.seq === got.seq)
        if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`punch ${got.seq} differs: ${JSON.stringify(got)}`)
      }
    } finally {
      ring.close()
    }
    t.same(problems, [], `run ${run}: killed after ${seqs.length} accepted punches; all there and intact, seqs in order`)
    highest = Math.max(last, ...beyond)
  }

  t.ok(accepted > RUNS * 10, `${accepted} punches accepted across ${RUNS} kills`)
  t.ok(epoch !== undefined, 'the writer got going')
  t.comment(`${torn} in-progress records torn on purpose; ${inFlightSeen} in-progress records found whole`)
})
