/**
 * The fault suite's short variant of a device power cut (faults/power-cut.ts): a device runtime on a
 * file ring, uploading to a real gateway, killed with SIGKILL mid-write again and again, some records
 * torn. Every punch confirmed to the person reaches the upstream as it was taken; seqs never repeat.
 * test/ring-crash.test.ts checks the ring alone, without the uplink, many more times.
 */
import t from 'tap'
import { powerCutFault, POWER_CUT } from '../faults/power-cut.js'
import { formatReports } from '../faults/report.js'

t.test('power cuts mid-write: every confirmed punch delivered as taken, no seq used twice', async t => {
  const r = await powerCutFault({ ...POWER_CUT.short, seed: 20261130 })
  t.comment(formatReports([r]))
  t.same(r.problems, [], 'the reconciliation finds nothing wrong')
  t.ok(r.acked > 0, `punches were confirmed before the cuts (${r.acked})`)
  t.equal(r.delivered, r.acked)
  t.equal(r.duplicates, 0)
})
