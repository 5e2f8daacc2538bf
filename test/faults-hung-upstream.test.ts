/**
 * The fault suite's short variant of the hung upstream (faults/hung-upstream.ts) against a real HTTP
 * sink while devices punch and the gateway collects garbage in full every 100 ms: requests held unread,
 * then a batch taken with its answer's body held, each followed by a recovery.
 */
import t from 'tap'
import { hungUpstreamFault, HUNG_UPSTREAM } from '../faults/hung-upstream.js'
import { formatReports } from '../faults/report.js'

t.test('an upstream that takes connections and never answers: nothing wedges, nothing lost, duplicates only under their key', async t => {
  const r = await hungUpstreamFault({ ...HUNG_UPSTREAM.short, seed: 20261207 })
  t.comment(formatReports([r]))
  t.same(r.problems, [], 'the reconciliation finds nothing wrong, and every hang met more requests than the slots')
  t.equal(r.lost, 0, 'no acknowledged punch lost')
  t.equal(r.delivered, r.acked, 'every acknowledged punch upstream')
  t.equal(r.duplicates, r.resent, 'duplicates only of batches taken while the answer was held, under their own key')
})
