/**
 * A terminal-sized ring (100,000 slots, about 98 MiB) killed with SIGKILL while writing: it opens again
 * with its punches, at most the record being written damaged, and an index that is small beside the file.
 * How fast it opens is a benchmark (docs/BENCHMARKS.md), not asserted here.
 */
import t from 'tap'
import { ringRecovery } from '../bench/ring.js'

t.test('a 100,000-slot ring recovers after SIGKILL with a small index', async t => {
  const r = await ringRecovery(100_000)
  t.ok(r.corrupt <= 1, `at most the record being written is damaged (${r.corrupt})`)
  t.ok(r.pending >= 50_000, `the unacked half and what followed survive (${r.pending} pending)`)
  const bytesPerSlot = r.heapMiB * 2 ** 20 / r.capacity
  t.ok(bytesPerSlot < 100, `the index takes ${bytesPerSlot.toFixed(0)} bytes per slot, not a copy of the records`)
})
