/**
 * `memory.heapGrowthPercent` (gateway/heap-growth.ts): its bounds, and that a process which applies it
 * keeps its old generation near what is live. V8's flags are the process's, so each measurement runs in a
 * child of its own.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../gateway/config.js'
import { applyHeapGrowth, DEFAULT_HEAP_GROWTH_PERCENT } from '../gateway/heap-growth.js'

const CHILD = fileURLToPath(new URL('./fixtures/heap-growth-child.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('..', import.meta.url))

t.test('the setting: 0 (V8\'s own factor) by default, 0 to 300, anything else refused naming it', async t => {
  const file = join(t.testdir(), 'gateway.json')
  t.equal(loadConfig().memory.heapGrowthPercent, DEFAULT_HEAP_GROWTH_PERCENT)
  t.equal(DEFAULT_HEAP_GROWTH_PERCENT, 0)
  for (const ok of [0, 10, 300]) {
    writeFileSync(file, JSON.stringify({ memory: { heapGrowthPercent: ok } }))
    t.equal(loadConfig({ file }).memory.heapGrowthPercent, ok)
  }
  for (const bad of [-1, 301, 2.5, '20']) {
    writeFileSync(file, JSON.stringify({ memory: { heapGrowthPercent: bad } }))
    t.throws(() => loadConfig({ file }), /memory\.heapGrowthPercent: must be/, `${JSON.stringify(bad)} refused`)
  }
  writeFileSync(file, JSON.stringify({ memory: { heapGrowth: 20 } }))
  t.throws(() => loadConfig({ file }), /memory\.heapGrowth: unknown setting; settings here: heapGrowthPercent/)
  // The function guards itself too: it is the one place the flag is set.
  t.throws(() => applyHeapGrowth(301), /memory\.heapGrowthPercent: must be a whole number between 0 and 300, got 301/)
  t.throws(() => applyHeapGrowth(-5), /got -5/)
})

async function oldGeneration (dir: string, percent: number): Promise<{ largest: number, live: number }> {
  const file = join(dir, `gateway-${percent}.json`)
  writeFileSync(file, JSON.stringify({ memory: { heapGrowthPercent: percent } }))
  const child = spawn(process.execPath, [...process.execArgv, '--expose-gc', CHILD, file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (b: Buffer) => { out += b.toString() })
  child.stderr.on('data', (b: Buffer) => { err += b.toString() })
  const code = await new Promise<number | null>(resolve => child.on('exit', resolve))
  if (code !== 0) throw new Error(`the child exited ${code}: ${err}`)
  return JSON.parse(out.trim().split('\n').at(-1) ?? '') as { largest: number, live: number }
}

t.test('applied, the old generation stays within about the factor of what is live; V8 alone let it grow past 4x here', async t => {
  const dir = t.testdir()
  const fixed = await oldGeneration(dir, 20)
  const own = await oldGeneration(dir, 0)
  const ratio = (m: { largest: number, live: number }): number => m.largest / m.live
  t.comment(`old generation at its largest / live after a full collection: ${ratio(fixed).toFixed(2)} at 20 %, ${ratio(own).toFixed(2)} with V8's own factor`)
  // 1.2 and what is allocated while a collection's marking runs (1.47 to 1.60 measured, the upper on a
  // loaded machine; 1.80 at 50). V8's own factor comes from how fast it collects against how fast the
  // program allocates, so only this side is bounded.
  t.ok(ratio(fixed) < 2.5, `at 20 %: ${ratio(fixed).toFixed(2)} < 2.5`)
  t.ok(fixed.live > 50 * 1024 * 1024, 'the child kept its live heap (the measure is of something)')
})
