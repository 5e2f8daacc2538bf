/** A JSON object with fields, as opposed to null, a list or a scalar: the first check of every reader of outside input. */
export function isPlainObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
