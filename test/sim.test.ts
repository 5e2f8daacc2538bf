/**
 * The simulator's first cut end to end: an embedded gateway and upstream, a fleet, a site outage, and a
 * reconciliation that accounts for every punch.
 */
import t from 'tap'
import { runRealTimeFleet } from '../sim/real-time-fleet.js'

t.test('a small fleet through an outage: nothing lost, nothing doubled', async t => {
  const lines: string[] = []
  const r = await runRealTimeFleet({
    devices: 5,
    punchesPerDevice: 20,
    intervalMs: 40,
    outage: { atMs: 300, forMs: 600 },
    ringCapacity: 100,
    drainTimeoutMs: 20_000,
    seed: 3,
    out: (l) => lines.push(l),
    progressMs: 500
  })
  t.comment(lines.join('\n'))
  t.ok(r.clean, 'reconciliation is clean')
  t.equal(r.reconciliation.generated, 100)
  t.equal(r.reconciliation.delivered, 100)
  t.equal(r.reconciliation.acked, 100)
  t.equal(r.reconciliation.lost, 0)
  t.equal(r.reconciliation.duplicated, 0)
  t.ok(lines.some(l => l.includes('link DOWN')), 'the outage happened')
  t.ok(lines.some(l => l.includes('LOST (acked, never delivered)')), 'the reconciliation table is printed')
})

t.test('a ring too small for the outage refuses punches and counts them (default policy)', async t => {
  const r = await runRealTimeFleet({
    devices: 2,
    punchesPerDevice: 30,
    intervalMs: 10,
    outage: { atMs: 0, forMs: 1200 },
    ringCapacity: 10,
    drainTimeoutMs: 20_000,
    seed: 4,
    out: () => {}
  })
  t.equal(r.reconciliation.generated + r.reconciliation.refused, 60, 'every attempt is either stored or refused')
  t.ok(r.reconciliation.refused > 0, `refusals counted (${r.reconciliation.refused})`)
  t.equal(r.reconciliation.lost, 0)
  t.equal(r.reconciliation.delivered, r.reconciliation.generated)
  t.ok(r.clean)
})
