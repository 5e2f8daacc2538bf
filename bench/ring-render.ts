/**
 * The tables of "Device ring" (docs/BENCHMARKS.md) from its figures (bench/ring.ts): append latency beside
 * a raw write + fdatasync of the same record on the same disk, measured alternately in the same runs, and
 * the recovery of a small and a large ring after SIGKILL. Pure.
 */
import type { RingFigures } from './ring.js'
import { fixed, fmt, median } from './stats.js'

/** the ring / raw fsync ratio's target, p50 */
const TARGET_RATIO = 2
const MiB = 2 ** 20

export function renderRing (f: RingFigures): string {
  const ringP50 = median(f.ring.map(r => r.p50))
  const ringP99 = median(f.ring.map(r => r.p99))
  const fsyncP50 = median(f.fsync.map(r => r.p50))
  const fsyncP99 = median(f.fsync.map(r => r.p99))
  const recoveries = f.recoveries.filter(list => list.length > 0).map(list => ({
    capacity: list[0].capacity,
    openMs: median(list.map(r => r.openMs)),
    heapMiB: median(list.map(r => r.heapMiB)),
    rssMiB: median(list.map(r => r.rssMiB)),
    corrupt: Math.max(...list.map(r => r.corrupt))
  }))
  const recoveryRow = (r: typeof recoveries[number]): string =>
    `| ${fmt(r.capacity)} slots (${fixed(r.capacity * f.recordSize / MiB, 1)} MiB file) | ${fixed(r.openMs, 1)} ms | ${fixed(r.heapMiB, 2)} MiB | ${fixed(r.heapMiB * MiB / r.capacity, 0)} | ${fixed(r.rssMiB, 0)} MiB | ≤ ${r.corrupt} |`
  return `| figure | median p50 | median p99 | runs (p50) |
|---|---:|---:|---|
| raw: write one ${f.recordSize}-byte record at rotating offsets of a preallocated file + \`fdatasync\` | ${fixed(fsyncP50, 0)} µs | ${fixed(fsyncP99, 0)} µs | ${f.fsync.map(r => fixed(r.p50, 0)).join(', ')} |
| \`ring.append\` of one punch, durable on return (${fmt(f.appendRingSlots)}-slot file ring) | ${fixed(ringP50, 0)} µs | ${fixed(ringP99, 0)} µs | ${f.ring.map(r => fixed(r.p50, 0)).join(', ')} |
| **ratio** ring / raw fsync, p50 (target ≤ ${TARGET_RATIO}) | **${fixed(ringP50 / fsyncP50, 2)}** | ${fixed(ringP99 / fsyncP99, 2)} | |

${f.appends} appends per run.

| ring | open (recovery) | index memory (heap + buffers) | index bytes per slot | process RSS after open | damaged records found |
|---|---:|---:|---:|---:|---:|
${recoveries.map(recoveryRow).join('\n')}
`
}
