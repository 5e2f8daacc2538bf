/**
 * One way to check a settings object: a JSON Schema (draft 2020-12, the same dialect as the protocol's
 * schemas in shared/schemas.ts) run by ajv with every error collected, each turned into "path: what is
 * wrong" a person can act on. Unknown keys and misspelt choices name the nearest known one ("did you
 * mean"). A schema node may carry `problem`, the sentence shown when a value breaks that node's rules
 * ("must be between 1 and 5000"), and `syntax`, the name of a reader the checker was given for values
 * written as text ('72h', '+08:00'), which then says what is wrong with one. Rules that relate two
 * settings stay in the reader's code and add to the same list.
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
  /** `source` names the file the problems are in; the message starts with it whenever it is given. */
  constructor (readonly problems: readonly SettingProblem[], source?: string) {
    super(describeProblems(problems, source))
    this.name = 'SettingsError'
  }
}

function describeProblems (problems: readonly SettingProblem[], source: string | undefined): string {
  const lines = problems.map(p => `${p.path}: ${p.message}`)
  if (lines.length === 1) return source === undefined ? lines[0] : `${source}: ${lines[0]}`
  return `${source ?? 'config'}: ${lines.length} problems:\n${lines.map(l => `  - ${l}`).join('\n')}`
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

/** What is wrong with a value written in one syntax ('72h' for a duration), or undefined when nothing is. */
export type SyntaxReader = (value: unknown) => string | undefined

export interface CheckerOptions {
  /** what a key of this file is called in messages: 'setting' (default) or 'field' */
  keyWord?: string
  /** the path shown for a problem of the whole object (default 'config') */
  rootPath?: string
  /** the readers a schema node names in `syntax` */
  syntaxes?: Record<string, SyntaxReader>
}

type SchemaNode = { problem?: string, syntax?: string, properties?: Record<string, SchemaNode> }

const TYPE_WORDS: Record<string, string> = {
  integer: 'a number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list'
}

function pathOf (pointer: string): string {
  let path = ''
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~')
    path = /^\d+$/.test(key) ? settingPath(path, Number(key)) : settingPath(path, key)
  }
  return path
}

/**
 * Errors that say nothing the others do not: an `if`'s own ("must match then") beside the `then`'s,
 * a discriminator's beside its property's enum and required, and each branch of an `anyOf`, whose node
 * speaks for them all with its `problem`.
 */
function isEcho (e: ErrorObject): boolean {
  return e.keyword === 'if' || e.keyword === 'discriminator' || e.schemaPath.includes('/anyOf/')
}

function describe (e: ErrorObject, o: Required<CheckerOptions>): SettingProblem {
  const node = (e.parentSchema ?? {}) as SchemaNode
  const path = pathOf(e.instancePath)
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty
      const known = Object.keys(node.properties ?? {})
      const near = closest(key, known)
      return {
        path: settingPath(path, key),
        message: `unknown ${o.keyWord}${near === undefined ? '' : ` (did you mean '${near}'?)`}${known.length === 0 ? '' : `; ${o.keyWord}s here: ${known.join(', ')}`}`
      }
    }
    case 'required': {
      // A node's problem speaks for a missing key only when it was written for that ("required, e.g. ...").
      const key = (e.params as { missingProperty: string }).missingProperty
      const problem = node.properties?.[key]?.problem
      return { path: settingPath(path, key), message: problem?.startsWith('required') === true ? problem : 'is required' }
    }
    case 'type': {
      const types = String((e.params as { type: string }).type).split(',')
      // 1.5 for a count is a number, just not a whole one: the node's own sentence says what is allowed.
      if (types.includes('integer') && typeof e.data === 'number') return { path, message: node.problem ?? 'must be a whole number' }
      return { path, message: `must be ${types.map(t => TYPE_WORDS[t] ?? t).join(' or ')}` }
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.filter(v => typeof v === 'string')
      const near = typeof e.data === 'string' ? closest(e.data, allowed) : undefined
      return { path, message: `${node.problem ?? `must be one of ${allowed.join(', ')}`}${near === undefined ? '' : ` (did you mean '${near}'?)`}` }
    }
    case 'syntax':
      return { path, message: o.syntaxes[node.syntax ?? '']?.(e.data) ?? node.problem ?? 'is not valid' }
    default:
      return { path, message: node.problem ?? `${e.message ?? 'is not valid'}` }
  }
}

export interface SettingsChecker {
  /** Adds every problem `value` has against the schema to `problems`. */
  (value: unknown, problems: SettingProblems): void
}

/** Compiles a schema once; the checker it returns may be called for every reading. */
export function settingsChecker (schema: object, options: CheckerOptions = {}): SettingsChecker {
  const o: Required<CheckerOptions> = { keyWord: 'setting', rootPath: 'config', syntaxes: {}, ...options }
  const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, discriminator: true })
  // A sentence for people, not a validation keyword: ajv ignores it, the messages above use it.
  ajv.addKeyword({ keyword: 'problem', schemaType: 'string' })
  ajv.addKeyword({
    keyword: 'syntax',
    schemaType: 'string',
    compile: (name: string) => {
      const read = o.syntaxes[name]
      if (read === undefined) throw new Error(`the schema names a syntax '${name}' the checker was not given`)
      return (value: unknown) => read(value) === undefined
    }
  })
  const validate = ajv.compile(schema)
  return (value, problems) => {
    if (validate(value)) return
    for (const e of validate.errors ?? []) {
      if (isEcho(e)) continue
      const p = describe(e, o)
      problems.add(p.path === '' ? o.rootPath : p.path, p.message)
    }
  }
}
