/**
 * The ring bench's child process, so each measurement starts from a fresh heap:
 *   ring-child.js fill PATH CAPACITY    formats a ring, fills it, acks half, then appends until killed
 *   ring-child.js open PATH CAPACITY    opens (recovers) the ring and prints {openMs, heapMiB, rssMiB, pending, corrupt}
 */
import { writeSync } from 'node:fs'
import { openFileRing } from '../device/ring/index.js'
import type { PunchInput } from '../shared/punch.js'

const [mode, path, capacityArg] = process.argv.slice(2)
const capacity = Number(capacityArg)
const punch = (i: number): PunchInput => ({ ts: Date.now(), emp: 'E' + String(1000 + (i % 500)), kind: i % 2 === 0 ? 'in' : 'out', method: 'card', clock: 'synced' })

if (mode === 'fill') {
  const ring = openFileRing({ path, capacity, format: true })
  const chunk: PunchInput[] = []
  for (let i = 0; i < capacity; i++) {
    chunk.push(punch(i))
    if (chunk.length === 1000 || i === capacity - 1) { ring.appendMany(chunk); chunk.length = 0 }
  }
  // Half acked, so recovery meets every state; then keep writing until SIGKILL.
  ring.markAcked(ring.pending({ order: 'oldest', limit: capacity / 2 }).map(p => p.seq))
  ring.sync()
  writeSync(1, 'filled\n')
  for (let i = 0; ; i++) {
    const r = ring.append(punch(i))
    if (!r.ok) ring.markAcked(ring.pending({ order: 'oldest', limit: 100 }).map(p => p.seq))
  }
} else if (mode === 'open') {
  global.gc?.()
  const before = process.memoryUsage()
  const t0 = process.hrtime.bigint()
  const ring = openFileRing({ path, capacity })
  const openMs = Number(process.hrtime.bigint() - t0) / 1e6
  global.gc?.()
  const after = process.memoryUsage()
  const s = ring.stats()
  writeSync(1, JSON.stringify({
    openMs,
    heapMiB: (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 2 ** 20,
    rssMiB: after.rss / 2 ** 20,
    pending: s.pending,
    corrupt: s.corrupt
  }) + '\n')
  ring.close()
} else {
  process.stderr.write('usage: ring-child.js fill|open PATH CAPACITY\n')
  process.exit(2)
}
