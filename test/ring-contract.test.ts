/**
 * The ring contract (test/fixtures/ring-contract.ts) against both implementations: the file ring on a real
 * file in a temp dir, and the in-memory twin the simulator runs.
 */
import t from 'tap'
import { join } from 'node:path'
import { createMemoryRing, openFileRing } from '../device/ring/index.js'
import { ringContract } from './fixtures/ring-contract.js'

ringContract(t, 'file ring', (t, o) => {
  const ring = openFileRing({ path: join(t.testdir(), 'ring.bin'), ...o })
  t.teardown(() => ring.close())
  return ring
})

ringContract(t, 'memory ring', (t, o) => {
  const ring = createMemoryRing(o)
  t.teardown(() => ring.close())
  return ring
})
