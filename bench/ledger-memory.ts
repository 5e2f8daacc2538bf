/**
 * The fate ledger's memory (sim/engine/fate-ledger.ts): fills one with punches as a large fleet takes
 * them (ten thousand devices, ids as shared/punch.ts writes them, half acknowledged; with `emp`, each with
 * the person's badge, as the fault suite keeps them) and prints, as JSON, what the heap and the array
 * buffers grew by. Run with the collector exposed, so that both readings are taken after a full collection:
 *
 *   node --expose-gc dist/bench/ledger-memory.js [PUNCHES] [emp]
 *
 * docs/DESIGN-NOTES.md, "One fate ledger, one reconciliation", holds the figures.
 */
import { FateLedger } from '../sim/engine/fate-ledger.js'
import { punchId } from '../shared/punch.js'

const DEVICES = 10_000
const PEOPLE = 60_000
const EPOCH = '9f2c41d0'

const collect = (globalThis as { gc?: () => void }).gc
if (collect === undefined) throw new Error('run with node --expose-gc')
const punches = Number(process.argv[2] ?? 3_000_000)
if (!Number.isSafeInteger(punches) || punches < 1) throw new Error(`PUNCHES: a positive integer, not ${process.argv[2] ?? ''}`)

const withEmp = process.argv[3] === 'emp'
const names = Array.from({ length: DEVICES }, (_, d) => `plant-T${String(d).padStart(5, '0')}`)
const people = Array.from({ length: PEOPLE }, (_, n) => `E${n}`)
const reading = (): { heapUsed: number, arrayBuffers: number } => {
  collect()
  collect()
  const m = process.memoryUsage()
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers }
}
const before = reading()
const ledger = new FateLedger()
const start = Date.UTC(2026, 10, 23)
for (let i = 0; i < punches; i++) {
  const id = punchId(names[i % DEVICES], EPOCH, Math.floor(i / DEVICES) + 1)
  ledger.taken(id, start + i * 997, withEmp ? people[i % PEOPLE] : undefined)
  if (i % 2 === 0) ledger.settle(id, 'acked')
}
const after = reading()
const mb = (bytes: number): number => Math.round(bytes / 2 ** 20 * 10) / 10
console.log(JSON.stringify({
  punches: ledger.size,
  emp: withEmp,
  heapUsedMB: mb(after.heapUsed - before.heapUsed),
  arrayBuffersMB: mb(after.arrayBuffers - before.arrayBuffers),
  bytesPerPunch: Math.round((after.heapUsed - before.heapUsed + after.arrayBuffers - before.arrayBuffers) / punches * 10) / 10
}))
