/**
 * A scenario file (YAML or JSON; YAML 1.2 reads JSON as it is) → a `Scenario`, or one SettingsError
 * (shared/settings-check.ts) that lists every problem with its path, as the gateway's and the device's
 * settings files get: first the file against its schema (sim/scenario/schema.ts), then the readers
 * (read-scenario.ts and the files it calls), which fill in defaults, read units and check what relates
 * fields to each other; the problems of both in file order. docs/SCENARIOS.md is the format for people.
 */
import { readFileSync } from 'node:fs'
import { basename, extname } from 'node:path'
import { parseDocument } from 'yaml'
import { isPlainObject } from '../../shared/plain-object.js'
import { SettingProblems, SettingsError } from '../../shared/settings-check.js'
import type { Scenario } from './types.js'
import { checkScenarioSchema } from './schema.js'
import { readScenario } from './read-scenario.js'
import { inFileOrder } from './file-order.js'

export function parseScenario (text: string, fileName: string): Scenario {
  const problems = new SettingProblems()
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  for (const e of doc.errors) {
    const where = e.linePos?.[0]
    problems.add(where === undefined ? '(file)' : `line ${where.line}, column ${where.col}`, e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''))
  }
  problems.throwIfAny(fileName)
  const raw = withoutNulls(doc.toJS() as unknown)
  checkScenarioSchema(raw, problems)
  const scenario = readScenario(problems, raw, basename(fileName, extname(fileName)))
  if (problems.list.length > 0) throw new SettingsError(inFileOrder(doc, problems.list), fileName)
  return scenario
}

export function loadScenario (path: string): Scenario {
  let content: string
  try {
    content = readFileSync(path, 'utf8')
  } catch (err) {
    throw new Error(`${path}: cannot read the scenario file (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
  return parseScenario(content, path)
}

/**
 * A field left empty in YAML (`faults:`) is null; it means the same as leaving the field out, so its
 * default applies (or, for a required one, it is missing).
 */
function withoutNulls (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls)
  if (!isPlainObject(value)) return value
  // fromEntries defines own properties, so a "__proto__" key stays a key (and an unknown field).
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]))
}
