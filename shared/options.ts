/**
 * Merges caller options over defaults, treating an option passed as `undefined` as "use the default":
 * a plain spread would let `{ batchSize: o.batchSize }` with no value erase the default and quietly
 * turn every bound check that follows into a comparison with undefined.
 */
export function withDefaults<D extends object, O extends object> (defaults: D, opts: O): D & O {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) }
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) out[k] = v
  return out as D & O
}
