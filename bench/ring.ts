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

/** slots of the ring the append latency is measured on */
const APPEND_RING_SLOTS = 10_000
/** the small and the large ring recovered after SIGKILL */
const RECOVERED_CAPACITIES = [1000, 100_000]

export interface Latency { p50: number, p99: number, mean: number }

function summarise (us: number[]): Latency {
  const s = [...us].sort((a, b) => a - b)
  return { p50: s[Math.floor(s.length * 0.5)], p99: s[Math.floor(s.length * 0.99)], mean: s.reduce((a, b) => a + b, 0) / s.length }
}

/** Microseconds per ring.append (each one durable on return) for `n` appends into a ring of APPEND_RING_SLOTS. */
export function ringAppendLatency (n: number): Latency {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-bench-ring-'))
  try {
    const ring = openFileRing({ path: join(dir, 'ring.bin'), capacity: APPEND_RING_SLOTS })
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
    const slots = APPEND_RING_SLOTS
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

/** What "Device ring" (docs/BENCHMARKS.md) is rendered from (bench/ring-render.ts), saved as docs/bench/ring.json. */
export interface RingFigures {
  /** when the figures were measured (ISO 8601) */
  measuredAt: string
  /** bytes of a ring record, and slots of the ring the appends went to */
  recordSize: number
  appendRingSlots: number
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
export async function measureRing (runs: number, appends: number, log: (line: string) => void): Promise<RingFigures> {
  const f: RingFigures = { measuredAt: new Date().toISOString(), recordSize: RECORD_SIZE, appendRingSlots: APPEND_RING_SLOTS, appends, ring: [], fsync: [], recoveries: RECOVERED_CAPACITIES.map(() => []) }
  for (let run = 0; run < runs; run++) {
    f.ring.push(ringAppendLatency(appends))
    f.fsync.push(rawFsyncLatency(appends))
    log(`run ${run + 1}/${runs}: ring append p50 ${f.ring[run].p50.toFixed(0)} µs, raw fsync p50 ${f.fsync[run].p50.toFixed(0)} µs`)
  }
  for (let run = 0; run < runs; run++) {
    for (const [i, capacity] of RECOVERED_CAPACITIES.entries()) f.recoveries[i].push(await ringRecovery(capacity))
    log(`run ${run + 1}/${runs}: ring recovery after SIGKILL: ${f.recoveries.map(list => `${list[run].capacity} slots ${list[run].openMs.toFixed(1)} ms`).join(', ')}`)
  }
  return f
}
