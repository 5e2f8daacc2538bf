/**
 * The fault suite's short variant of the gateway kill (faults/gateway-kill.ts): the real gateway
 * process killed with SIGKILL three times at seeded moments under load from device runtimes on file
 * rings, restarted on the same data directory each time. `npm run faults` runs 50 kills.
 */
import t from 'tap'
import { gatewayKillFault, GATEWAY_KILL } from '../faults/gateway-kill.js'
import { formatReports } from '../faults/report.js'

t.test('SIGKILL under load: every acknowledged punch delivered, duplicates within the bound per kill', async t => {
  const r = await gatewayKillFault({ ...GATEWAY_KILL.short, seed: 20261130 })
  t.comment(formatReports([r]))
  t.same(r.problems, [], 'the reconciliation finds nothing wrong')
  t.equal(r.runs, GATEWAY_KILL.short.kills, 'every kill happened')
  t.ok(r.acked > 300, `a real load (${r.acked} punches acknowledged)`)
  t.equal(r.delivered, r.acked, 'all of them upstream')
  t.equal(r.duplicates, r.resent, 'every duplicate is a batch re-sent under its own Idempotency-Key')
})
