/**
 * Validation of a scenario file that goes on after the first mistake: every reader records what is wrong
 * at its path ("sites[0].devices[1].ring.capacity: must be ...") and returns undefined, so a field engineer
 * fixes a file in one pass instead of one error per run.
 */
import { isError } from './calendar.js'
import { closest } from '../../shared/closest.js'
import { isPlainObject } from '../../shared/plain-object.js'

export { closest }

export type Plain = Record<string, unknown>

export class Problems {
  readonly list: string[] = []
  add (path: string, message: string): void { this.list.push(`${path}: ${message}`) }
}

/** Thrown by parseScenario with every problem found; `problems` for callers that show them their own way. */
export class ScenarioError extends Error {
  constructor (readonly fileName: string, readonly problems: string[]) {
    super(`${fileName}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map(l => `  - ${l}`).join('\n')}`)
    this.name = 'ScenarioError'
  }
}

export function at (path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`
}

const isPlain = isPlainObject

/** An object whose fields are all in `known`; an unknown one is a problem (typos would otherwise fall back to defaults silently). */
export function record (p: Problems, path: string, value: unknown, known: readonly string[], what = ''): Plain | undefined {
  if (!isPlain(value)) { p.add(path === '' ? '(top level)' : path, `must be a mapping of fields (${known.join(', ')})`); return undefined }
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue
    const near = closest(key, known)
    p.add(at(path, key), `unknown field${what === '' ? '' : ` of ${what}`}${near !== undefined ? ` (did you mean '${near}'?)` : ''}; fields here: ${known.join(', ')}`)
  }
  return value
}

export function list (p: Problems, path: string, value: unknown, minLength = 0): unknown[] | undefined {
  if (!Array.isArray(value)) { p.add(path, 'must be a list'); return undefined }
  if (value.length < minLength) { p.add(path, `must have at least ${minLength} entr${minLength === 1 ? 'y' : 'ies'}`); return undefined }
  return value
}

export function required (p: Problems, path: string, value: unknown): boolean {
  if (value === undefined || value === null) { p.add(path, 'is required'); return false }
  return true
}

/** Runs a parser that answers a value or `{ error }`; undefined (with the problem recorded) on error. */
export function parsed<T> (p: Problems, path: string, value: unknown, parse: (v: unknown) => T | { error: string }): T | undefined {
  const r = parse(value)
  if (isError(r)) { p.add(path, r.error); return undefined }
  return r
}

export function wholeNumber (p: Problems, path: string, value: unknown, min: number, max: number): number | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    p.add(path, `must be a whole number between ${min} and ${max}${typeof value === 'number' || typeof value === 'string' ? ` (got ${JSON.stringify(value)})` : ''}`)
    return undefined
  }
  return value
}

export function numberIn (p: Problems, path: string, value: unknown, min: number, max: number): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    p.add(path, `must be a number between ${min} and ${max}${typeof value === 'number' || typeof value === 'string' ? ` (got ${JSON.stringify(value)})` : ''}`)
    return undefined
  }
  return value
}

export function oneOf<T extends string> (p: Problems, path: string, value: unknown, options: readonly T[]): T | undefined {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    p.add(path, `must be one of ${options.join(', ')}${typeof value === 'string' ? ` (got '${value}')` : ''}`)
    return undefined
  }
  return value as T
}

export function text (p: Problems, path: string, value: unknown, pattern: RegExp, describe: string): string | undefined {
  if (typeof value !== 'string' || !pattern.test(value)) { p.add(path, `must be ${describe}`); return undefined }
  return value
}

export function bool (p: Problems, path: string, value: unknown): boolean | undefined {
  if (typeof value !== 'boolean') { p.add(path, 'must be true or false'); return undefined }
  return value
}

/** The value of an optional field: its default when absent, the reader's answer (or the default, after a problem) otherwise. */
export function optional<T> (value: unknown, def: T, read: (v: unknown) => T | undefined): T {
  if (value === undefined || value === null) return def
  return read(value) ?? def
}
