/**
 * The fault suite's short variant of the upstream faults (faults/upstream-faults.ts) against a real
 * HTTP sink while devices punch: a 503 storm, 429 with Retry-After, connection resets, answers slower than
 * the timeout, and a poison record answered 422 all along.
 */
import t from 'tap'
import { upstreamFault, UPSTREAM_FAULTS } from '../faults/upstream-faults.js'
import { formatReports } from '../faults/report.js'

t.test('503, 429, resets, slow answers and a poison record: all delivered but the poison, dead-lettered alone', async t => {
  const r = await upstreamFault({ ...UPSTREAM_FAULTS.short, seed: 20261130 })
  t.comment(formatReports([r]))
  t.same(r.problems, [], 'the reconciliation finds nothing wrong')
  t.equal(r.delivered, r.acked - 1, 'every acknowledged punch upstream but the poison one')
  t.equal(r.duplicates, r.resent, 'duplicates only from answers that came too late, under their own key')
})
