/**
 * Ring figures for `npm run bench`: append latency with its fsync beside a raw write+fdatasync loop of
 * the same record size on the same disk, and the recovery of a ring after SIGKILL during writes (time to
 * open, and the heap its index takes, for a small and a 100,000-slot ring).
 */
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { benchScript } from './paths.js'
import { openFileRing, RECORD_SIZE } from '../device/ring/index.js'

// Run from TypeScript (the tests), the child is the compiled one: children run as JavaScript.
const CHILD = benchScript('ring-child.js')

export interface Latency { p50: number, p99: number, mean: number }

function summarise (us: number[]): Latency {
  const s = [...us].sort((a, b) => a - b)
  return { p50: s[Math.floor(s.length * 0.5)], p99: s[Math.floor(s.length * 0.99)], mean: s.reduce((a, b) => a + b, 0) / s.length }
}

/** Microseconds per ring.append (each one durable on return) for `n` appends into a 10,000-slot ring. */
export function ringAppendLatency (n: number): Latency {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-bench-ring-'))
  try {
    const ring = openFileRing({ path: join(dir, 'ring.bin'), capacity: 10_000 })
    const us: number[] = []
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint()
      ring.append({ ts: Date.now(), emp: 'E' + String(1000 + (i % 500)), kind: 'in', method: 'card', clock: 'synced' })
      us.push(Number(process.hrtime.bigint() - t0) / 1000)
    }
    ring.close()
    return summarise(us)
  } finally { rmSync(dir, { recursive: true, force: true }) }
}

/** The floor: write one record-sized buffer at rotating offsets of a preallocated file, then fdatasync. */
export function rawFsyncLatency (n: number): Latency {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-bench-fsync-'))
  try {
    const fd = openSync(join(dir, 'raw.bin'), 'w+')
    const slots = 10_000
    // Preallocated with zeros like the ring file, so neither side pays for block allocation.
    writeSync(fd, Buffer.alloc(slots * RECORD_SIZE), 0, slots * RECORD_SIZE, 0)
    fdatasyncSync(fd)
    const buf = Buffer.alloc(RECORD_SIZE, 0x5a)
    const us: number[] = []
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint()
      writeSync(fd, buf, 0, RECORD_SIZE, (i % slots) * RECORD_SIZE)
      fdatasyncSync(fd)
      us.push(Number(process.hrtime.bigint() - t0) / 1000)
    }
    closeSync(fd)
    return summarise(us)
  } finally { rmSync(dir, { recursive: true, force: true }) }
}

export interface Recovery {
  capacity: number
  openMs: number
  /** what opening added to the JS heap and to off-heap buffers (the index is typed arrays) */
  heapMiB: number
  rssMiB: number
  pending: number
  corrupt: number
}

/** Fills a ring in a child, SIGKILLs it while it appends, then opens the ring in a fresh child. */
export async function ringRecovery (capacity: number): Promise<Recovery> {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-bench-recover-'))
  const path = join(dir, 'ring.bin')
  try {
    const writer = spawn(process.execPath, [CHILD, 'fill', path, String(capacity)], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve, reject) => {
      writer.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('filled')) resolve() })
      writer.once('exit', code => reject(new Error(`ring writer exited ${code} before filling`)))
    })
    await new Promise(resolve => setTimeout(resolve, 200))
    writer.kill('SIGKILL')
    await new Promise(resolve => writer.once('exit', resolve))
    const r = spawnSync(process.execPath, ['--expose-gc', CHILD, 'open', path, String(capacity)], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`ring open failed: ${r.stderr}`)
    return { capacity, ...JSON.parse(r.stdout) as Omit<Recovery, 'capacity'> }
  } finally { rmSync(dir, { recursive: true, force: true }) }
}

export interface RingFigures {
  appends: number
  ring: Latency[]
  fsync: Latency[]
  /** per capacity, one Recovery per run */
  recoveries: Recovery[][]
}

/**
 * Append latency beside a raw write + fdatasync of the same size, alternating so drifts in the disk hit
 * both; then recovery after SIGKILL of a small and a large ring.
 */
export async function ringFigures (runs: number, appends: number, log: (line: string) => void): Promise<RingFigures> {
  const f: RingFigures = { appends, ring: [], fsync: [], recoveries: [[], []] }
  for (let run = 0; run < runs; run++) {
    f.ring.push(ringAppendLatency(appends))
    f.fsync.push(rawFsyncLatency(appends))
    log(`run ${run + 1}/${runs}: ring append p50 ${f.ring[run].p50.toFixed(0)} µs, raw fsync p50 ${f.fsync[run].p50.toFixed(0)} µs`)
  }
  for (let run = 0; run < runs; run++) {
    f.recoveries[0].push(await ringRecovery(1000))
    f.recoveries[1].push(await ringRecovery(100_000))
    log(`run ${run + 1}/${runs}: ring recovery after SIGKILL: 1,000 slots ${f.recoveries[0][run].openMs.toFixed(1)} ms, 100,000 slots ${f.recoveries[1][run].openMs.toFixed(1)} ms`)
  }
  return f
}

export function ringSection (f: RingFigures): string {
  const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] }
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
  const ringP50 = median(f.ring.map(r => r.p50))
  const ringP99 = median(f.ring.map(r => r.p99))
  const fsyncP50 = median(f.fsync.map(r => r.p50))
  const fsyncP99 = median(f.fsync.map(r => r.p99))
  const rec = f.recoveries.map(list => ({
    capacity: list[0].capacity,
    openMs: median(list.map(r => r.openMs)),
    heapMiB: median(list.map(r => r.heapMiB)),
    rssMiB: median(list.map(r => r.rssMiB)),
    corrupt: Math.max(...list.map(r => r.corrupt))
  }))
  return `
## Device ring

| figure | median p50 | median p99 | runs (p50) |
|---|---:|---:|---|
| raw: write one ${RECORD_SIZE}-byte record at rotating offsets of a preallocated file + \`fdatasync\` | ${fsyncP50.toFixed(0)} µs | ${fsyncP99.toFixed(0)} µs | ${f.fsync.map(r => r.p50.toFixed(0)).join(', ')} |
| \`ring.append\` of one punch, durable on return (10,000-slot file ring) | ${ringP50.toFixed(0)} µs | ${ringP99.toFixed(0)} µs | ${f.ring.map(r => r.p50.toFixed(0)).join(', ')} |
| **ratio** ring / raw fsync, p50 (target ≤ 2) | **${(ringP50 / fsyncP50).toFixed(2)}** | ${(ringP99 / fsyncP99).toFixed(2)} | |

${f.appends} appends per run. An append is one record write and one \`fdatasync\`, like the raw loop; what it adds is
encoding the record (JSON payload, CRC32) and the in-memory index update. What limits both: the disk's flush.

Recovery after SIGKILL: a child fills the ring, acks half, keeps appending, and is killed; a fresh process opens
the file (scanning every record, checking every CRC) and reports the time and what its index added to memory.

| ring | open (recovery) | index memory (heap + buffers) | process RSS after open | damaged records found |
|---|---:|---:|---:|---:|
${rec.map(r => `| ${fmt(r.capacity)} slots (${(r.capacity * RECORD_SIZE / 2 ** 20).toFixed(1)} MiB file) | ${r.openMs.toFixed(1)} ms | ${r.heapMiB.toFixed(2)} MiB | ${r.rssMiB.toFixed(0)} MiB | ≤ ${r.corrupt} |`).join('\n')}

Memory grows with capacity only by the index (typed arrays, about ${(rec[1].heapMiB * 2 ** 20 / rec[1].capacity).toFixed(0)} bytes per slot); records are
read from the file when they are sent, never held. Reproduce: \`npm run bench\` (\`BENCH_RING_APPENDS\`).
`
}
