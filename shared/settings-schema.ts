/**
 * The schema nodes every settings schema is made of (gateway/config-schema.ts, device/config-schema.ts,
 * sim/scenario/schema.ts), each with the sentence shared/settings-check.ts shows when a value breaks it.
 */

/** An object that takes only the keys listed: a misspelt one is reported, not ignored. */
export function section (properties: Record<string, object>, required?: readonly string[]): object {
  return required === undefined
    ? { type: 'object', additionalProperties: false, properties }
    : { type: 'object', additionalProperties: false, required, properties }
}

export function wholeBetween (min: number, max: number): object {
  return { type: 'integer', minimum: min, maximum: max, problem: `must be a whole number between ${min} and ${max}` }
}

export function numberBetween (min: number, max: number, problem = `must be a number between ${min} and ${max}`): object {
  return { type: 'number', minimum: min, maximum: max, problem }
}
