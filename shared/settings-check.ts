/**
 * One way to check a settings object: a JSON Schema (draft 2020-12, the same dialect as the protocol's
 * schemas in shared/schemas.ts) run by ajv with every error collected, each turned into "path: what is
 * wrong" a person can act on. Unknown keys name the nearest known one ("did you mean"). A schema node may
 * carry `problem`, the sentence shown when a value breaks that node's rules ("must be between 1 and 5000");
 * rules that relate two settings stay in the reader's code and add to the same list.
 */
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js'
import { closest } from './closest.js'

export interface SettingProblem {
  /** where, as a person writes it: `mqtt.tls.cert`, `sites.hq.devices[0]` */
  path: string
  message: string
}

/** Every problem found in one settings object: one is its message; more are listed under the source's name. */
export class SettingsError extends Error {
  constructor (readonly problems: readonly SettingProblem[], source = 'config') {
    const lines = problems.map(p => `${p.path}: ${p.message}`)
    super(lines.length === 1 ? lines[0] : `${source}: ${lines.length} problems:\n${lines.map(l => `  - ${l}`).join('\n')}`)
    this.name = 'SettingsError'
  }
}

/** The problems of one reading, from the schema and from the reader's own rules, in the order found. */
export class SettingProblems {
  readonly list: SettingProblem[] = []
  add (path: string, message: string): void {
    if (!this.list.some(p => p.path === path)) this.list.push({ path, message })
  }

  /** Throws them all at once, if there are any; `source` names the file in a list of several. */
  throwIfAny (source?: string): void {
    if (this.list.length > 0) throw new SettingsError(this.list, source)
  }

  has (path: string): boolean { return this.list.some(p => p.path === path || p.path.startsWith(path + '.') || p.path.startsWith(path + '[')) }
}

/** `a.b`, `a[0]`: the path of a key or an index under `path`. */
export function settingPath (path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`
}

const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true })
// A sentence for people, not a validation keyword: ajv ignores it, the messages below use it.
ajv.addKeyword({ keyword: 'problem', schemaType: 'string' })

type SchemaNode = { problem?: string, properties?: Record<string, SchemaNode> }

const TYPE_WORDS: Record<string, string> = {
  integer: 'must be a number',
  number: 'must be a number',
  string: 'must be a string',
  boolean: 'must be true or false',
  object: 'must be an object',
  array: 'must be a list'
}

function pathOf (pointer: string): string {
  let path = ''
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~')
    path = /^\d+$/.test(key) ? settingPath(path, Number(key)) : settingPath(path, key)
  }
  return path
}

function describe (e: ErrorObject): SettingProblem {
  const node = (e.parentSchema ?? {}) as SchemaNode
  const path = pathOf(e.instancePath)
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty
      const known = Object.keys(node.properties ?? {})
      const near = closest(key, known)
      return {
        path: settingPath(path, key),
        message: `unknown setting${near === undefined ? '' : ` (did you mean '${near}'?)`}${known.length === 0 ? '' : `; settings here: ${known.join(', ')}`}`
      }
    }
    case 'required': {
      const key = (e.params as { missingProperty: string }).missingProperty
      return { path: settingPath(path, key), message: node.properties?.[key]?.problem ?? 'is required' }
    }
    case 'type': {
      const type = String((e.params as { type: string }).type)
      return { path, message: TYPE_WORDS[type] ?? `must be ${type}` }
    }
    default:
      return { path, message: node.problem ?? `${e.message ?? 'is not valid'}` }
  }
}

export interface SettingsChecker {
  /** Adds every problem `value` has against the schema to `problems`. */
  (value: unknown, problems: SettingProblems): void
}

/** Compiles a schema once; the checker it returns may be called for every reading. */
export function settingsChecker (schema: object): SettingsChecker {
  const validate = ajv.compile(schema)
  return (value, problems) => {
    if (validate(value)) return
    for (const e of validate.errors ?? []) {
      const p = describe(e)
      problems.add(p.path === '' ? 'config' : p.path, p.message)
    }
  }
}
