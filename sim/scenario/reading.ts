/**
 * How the readers (read-*.ts) take values from a scenario file the schema has checked: a value the file
 * leaves out or the schema found wrong gives way to its default, so every rule that relates fields still
 * runs on sane values and a file gets all its problems back in one pass, never a crash.
 */
import { isPlainObject } from '../../shared/plain-object.js'
import type { SettingProblems } from '../../shared/settings-check.js'
import { isError } from './calendar.js'

export type Read<T> = (value: unknown) => T | { error: string }

/** The fields of a checked object; none when it is not one (the schema has said so). */
export function fieldsOf (value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : {}
}

export function entriesOf (value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

/** A field's value, or `def` when the file leaves it out or it broke the schema. */
export function valueOf<T> (p: SettingProblems, path: string, value: unknown, def: T): T {
  return value === undefined || p.has(path) ? def : value as T
}

/** A field written as text ('72h'), read; `def` when left out or wrong, and what `read` refuses is a problem at `path`. */
export function readAt<T> (p: SettingProblems, path: string, value: unknown, def: T, read: Read<T>): T {
  if (value === undefined || p.has(path)) return def
  const r = read(value)
  if (isError(r)) { p.add(path, r.error); return def }
  return r
}

/** `read`, refusing with `rule`'s reason a value that reads but does not fit its place ('must be at most 2h'). */
export function fitting<T> (read: Read<T>, rule: (value: T) => string | undefined): Read<T> {
  return v => {
    const r = read(v)
    if (isError(r)) return r
    const why = rule(r)
    return why === undefined ? r : { error: why }
  }
}
