/**
 * No import cycles between our own modules (docs/ARCHITECTURE.md, "Folders"): a cycle makes the order
 * modules initialise in depend on which one is loaded first, and it is how layers quietly merge. Type-only
 * imports count too: they are the design's dependencies even when they vanish at run time.
 */
import t from 'tap'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const FOLDERS = ['bin', 'shared', 'device', 'gateway', 'sim', 'fakes', 'console', 'bench', 'faults', 'scripts']
// Static imports and re-exports (`import … from '…'`, `export … from '…'`, `import '…'`) and import('…').
const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|(?:^|[\s;])import\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/gm

function sources (dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...sources(path))
    else if ((name.endsWith('.ts') || name.endsWith('.tsx')) && !name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

/** Our imports of one file, as files: './x.js' names './x.ts', or './x.tsx' in the console. */
function importsOf (file: string, text: string): string[] {
  const found: string[] = []
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2] ?? m[3]
    const ts = resolve(dirname(file), spec.replace(/\.js$/, '.ts'))
    found.push(existsSync(ts + 'x') ? ts + 'x' : ts)
  }
  return found
}

/** The strongly connected components of more than one file, or of one file importing itself (Tarjan). */
function cycles (graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  let next = 0
  const visit = (v: string): void => {
    index.set(v, next); low.set(v, next); next++
    stack.push(v); onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)) } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) !== index.get(v)) return
    const component: string[] = []
    let w: string
    do { w = stack.pop()!; onStack.delete(w); component.push(w) } while (w !== v)
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component)
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return found
}

t.test('the checker finds a cycle it is shown, and none where there is none', async t => {
  t.same(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])).map(c => c.sort()), [['a', 'b', 'c']])
  t.same(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', []]])), [])
  t.same(importsOf('/r/x/a.ts', "import type { X } from '../y/b.js'\nexport { z } from './c.js'\nconst m = await import('./d.js')\nimport './e.js'"),
    ['/r/y/b.ts', '/r/x/c.ts', '/r/x/d.ts', '/r/x/e.ts'])
})

t.test('no import cycles in the code', async t => {
  const graph = new Map<string, string[]>()
  for (const folder of FOLDERS) {
    for (const file of sources(join(ROOT, folder))) graph.set(file, importsOf(file, readFileSync(file, 'utf8')))
  }
  t.ok(graph.size > 100, `read ${graph.size} files`)
  const found = cycles(graph).map(c => c.map(f => relative(ROOT, f)).sort().join(' → '))
  t.same(found, [], 'each line is one cycle')
})
