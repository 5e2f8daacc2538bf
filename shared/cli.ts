/**
 * The command line's one layer over `node:util.parseArgs`: each command declares its flags once, with the
 * placeholder its usage shows and, for a number, its range. The usage text is written as templates that
 * name the flags (`[--data] [--keep]`); the placeholders come from the declarations, and a flag declared but
 * missing from the usage, or named there but not declared, stops the command from loading, so the two
 * cannot drift apart. Numbers are parsed and range-checked here, with an error naming the flag.
 */
import { parseArgs } from 'node:util'

interface StringFlag {
  type: 'string'
  /** what the usage shows after the flag: FILE, DIR, mqtt://HOST:PORT */
  value?: string
  multiple?: boolean
}
interface BooleanFlag { type: 'boolean' }
interface NumberFlag {
  /** whole: an integer (a safe one); number: any finite number */
  type: 'whole' | 'number'
  /** what the usage shows after the flag; default: the default value, else N */
  value?: string
  default?: number
  /** inclusive bounds */
  min?: number
  max?: number
  /** an exclusive lower bound, for "above 0" */
  above?: number
  /** what the error calls the value, when more telling than "a number": "a probability" */
  what?: string
}
export type FlagSpec = StringFlag | BooleanFlag | NumberFlag

type ValueOf<S> =
  S extends BooleanFlag ? boolean | undefined
    : S extends { default: number } ? number
      : S extends NumberFlag ? number | undefined
        : S extends { multiple: true } ? string[] | undefined
          : string | undefined

export type FlagValues<F extends Record<string, FlagSpec>> = { [K in keyof F]: ValueOf<F[K]> }

export interface CommandSpec<F extends Record<string, FlagSpec>> {
  /** the usage lines, naming each flag as `--name`; its placeholder is added from `flags` */
  usage: readonly string[]
  flags: F
  /** whether the command takes words besides its flags (verbs, ids, files) */
  positionals?: boolean
}

export interface Command<F extends Record<string, FlagSpec>> {
  readonly usage: string
  readonly flags: F
  parse: (argv: readonly string[]) => { values: FlagValues<F>, positionals: string[] }
}

const FLAG_IN_USAGE = /--([a-z][a-z0-9-]*)/g

function placeholder (spec: FlagSpec): string {
  switch (spec.type) {
    case 'boolean': return ''
    case 'string': return ` ${spec.value ?? 'VALUE'}${spec.multiple === true ? ' ...' : ''}`
    default: return ` ${spec.value ?? (spec.default !== undefined ? String(spec.default) : 'N')}`
  }
}

/** The usage with each flag's placeholder; throws when the usage and the declarations disagree. */
function renderUsage (lines: readonly string[], flags: Record<string, FlagSpec>): string {
  const named = new Set<string>()
  const text = lines.map(line => line.replace(FLAG_IN_USAGE, (whole, name: string) => {
    const spec = flags[name]
    if (spec === undefined) throw new Error(`usage names --${name}, which is not declared`)
    named.add(name)
    return whole + placeholder(spec)
  })).join('\n')
  const missing = Object.keys(flags).filter(f => !named.has(f))
  if (missing.length > 0) throw new Error(`usage does not show ${missing.map(f => `--${f}`).join(', ')}`)
  return text
}

/** The rule a number flag follows, as its error message says it. */
export function numberRule (spec: NumberFlag): string {
  const what = spec.what ?? (spec.type === 'whole' ? 'a whole number' : 'a number')
  const low = spec.above !== undefined ? `above ${spec.above}` : spec.min !== undefined ? `from ${spec.min}` : ''
  if (spec.max !== undefined) return `must be ${what} ${low === '' ? `up to ${spec.max}` : `${low} to ${spec.max}`}`
  return `must be ${what}${low === '' ? '' : spec.min !== undefined ? ` >= ${spec.min}` : ` ${low}`}`
}

/** A number flag's value, or an error that names the flag, its rule and what was given. */
export function parseNumberFlag (name: string, text: string, spec: NumberFlag): number {
  const n = Number(text)
  const ok = text.trim() !== '' &&
    (spec.type === 'whole' ? Number.isSafeInteger(n) : Number.isFinite(n)) &&
    (spec.min === undefined || n >= spec.min) &&
    (spec.above === undefined || n > spec.above) &&
    (spec.max === undefined || n <= spec.max)
  if (!ok) throw new Error(`--${name}: ${numberRule(spec)} (got '${text}')`)
  return n
}

/** Parses `argv` against declared flags: parseArgs for the syntax, then each number checked against its rule. */
export function parseFlags<const F extends Record<string, FlagSpec>> (flags: F, argv: readonly string[], allowPositionals = false): { values: FlagValues<F>, positionals: string[] } {
  const options = Object.fromEntries(Object.entries(flags).map(([name, f]) => [name,
    f.type === 'boolean' ? { type: 'boolean' as const } : { type: 'string' as const, multiple: f.type === 'string' && f.multiple === true }]))
  const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals, strict: true })
  const out: Record<string, unknown> = {}
  for (const [name, f] of Object.entries(flags)) {
    const v = (values as Record<string, unknown>)[name]
    if (f.type === 'whole' || f.type === 'number') out[name] = v === undefined ? f.default : parseNumberFlag(name, v as string, f)
    else out[name] = v
  }
  return { values: out as FlagValues<F>, positionals }
}

export function defineCommand<const F extends Record<string, FlagSpec>> (spec: CommandSpec<F>): Command<F> {
  return {
    usage: renderUsage(spec.usage, spec.flags),
    flags: spec.flags,
    parse: (argv) => parseFlags(spec.flags, argv, spec.positionals === true)
  }
}
