/**
 * The scenario reader reads every shipped scenario, and the examples of docs/SCENARIOS.md, into the very
 * `Scenario` it always has: test/fixtures/scenario-library.json was written by the hand-written reader
 * before the scenario file got its JSON Schema, so a change of reader cannot move a default or a unit.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { listScenarios, namedScenario } from '../sim/scenario/library.js'
import { parseScenario } from '../sim/scenario/parse.js'
import type { Scenario } from '../sim/scenario/types.js'

const expected = JSON.parse(readFileSync(new URL('./fixtures/scenario-library.json', import.meta.url), 'utf8')) as Record<string, unknown>

/** The docs' complete example, and each fault example put in place of its faults, as the docs test reads them. */
function docExamples (): Record<string, Scenario> {
  const doc = readFileSync(new URL('../docs/SCENARIOS.md', import.meta.url), 'utf8')
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map(m => m[1])
  const full = blocks.find(b => b.startsWith('# my-site'))
  if (full === undefined) throw new Error('the complete example is missing')
  const base = full.slice(0, full.indexOf('\nfaults:')) + full.slice(full.indexOf('\ngateway:'))
  const out: Record<string, Scenario> = { 'docs:my-site': parseScenario(full, 'my-site.yaml') }
  blocks.filter(b => b.startsWith('faults:')).forEach((b, i) => { out[`docs:fault-example-${i}`] = parseScenario(`${base}\n${b}`, 'example.yaml') })
  return out
}

/** Paths of keys whose value is undefined: JSON would drop them, and a `t.same` elsewhere would not. */
function undefinedKeys (v: unknown, path = ''): string[] {
  if (typeof v !== 'object' || v === null) return []
  return Object.entries(v).flatMap(([k, x]) => x === undefined ? [`${path}.${k}`] : undefinedKeys(x, `${path}.${k}`))
}

t.test('every library scenario and docs example reads as it did', async t => {
  const actual: Record<string, unknown> = Object.fromEntries(listScenarios().map(e => [e.name, namedScenario(e.name)]))
  Object.assign(actual, docExamples())
  t.same(Object.keys(actual).sort(), Object.keys(expected).sort(), 'the same scenarios')
  for (const [name, scenario] of Object.entries(actual)) {
    t.strictSame(scenario, expected[name], name)
    t.same(undefinedKeys(scenario), [], `${name}: no key holds undefined`)
  }
})
