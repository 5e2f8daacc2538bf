/**
 * The fault suite's short variant of a locked database at start (faults/locked-db.ts): the gateway,
 * restarted while another process holds its database lock, refuses to start (exit 75), and once the lock
 * is gone starts on the same file with nothing lost, nothing stored twice.
 */
import t from 'tap'
import { lockedDbFault, LOCKED_DB } from '../faults/locked-db.js'
import { formatReports } from '../faults/report.js'

t.test('a database locked by another process at start: refused, then the same file, nothing lost', async t => {
  const r = await lockedDbFault({ ...LOCKED_DB.short, seed: 20261207 })
  t.comment(formatReports([r]))
  t.same(r.problems, [], 'the reconciliation finds nothing wrong')
  t.equal(r.delivered, r.acked, 'every acknowledged punch upstream')
})
