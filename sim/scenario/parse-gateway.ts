/**
 * `gateway:` and `expect:`, the two small sections around the sites: the embedded gateway's rule
 * settings (the names of gateway config's `rules`, durations in units) and what a run must show.
 */
import { DEFAULT_RULES, type RulesConfig } from '../../gateway/rules/rules.js'
import { FLAGS } from '../../shared/flags.js'
import type { Expectations, Scenario } from './types.js'
import { SCENARIO_DEFAULTS as D } from './defaults.js'
import { parseDuration } from './duration.js'
import { Problems, at, numberIn, optional, parsed, record, wholeNumber } from './problems.js'

const RULE_KEYS = Object.keys(DEFAULT_RULES) as Array<keyof RulesConfig>

export function parseGateway (p: Problems, path: string, raw: unknown): Scenario['gateway'] {
  const r = optional(raw, {}, v => record(p, path, v, ['rules', 'retentionDays']))
  const rulesPath = at(path, 'rules')
  const given = optional(r.rules, {}, v => record(p, rulesPath, v, RULE_KEYS))
  const rules: Partial<RulesConfig> = {}
  for (const key of RULE_KEYS) {
    const v = given[key]
    if (v === undefined || v === null) continue
    // The *Ms settings are durations ('24h'); the others are counts, speeds and distances.
    const value = key.endsWith('Ms') ? parsed(p, at(rulesPath, key), v, parseDuration) : numberIn(p, at(rulesPath, key), v, 0, 1_000_000)
    if (value !== undefined) rules[key] = value
  }
  const retentionDays = optional(r.retentionDays, D.retentionDays as number, v => wholeNumber(p, at(path, 'retentionDays'), v, 0, 36_500))
  return { rules, retentionDays }
}

const COUNTS = ['overwritten', 'refused', 'deadLettered', 'rejected'] as const

export function parseExpectations (p: Problems, path: string, raw: unknown): Expectations {
  const r = optional(raw, {}, v => record(p, path, v, [...COUNTS, 'flags']))
  const out: Expectations = {}
  for (const key of COUNTS) {
    const n = optional(r[key], undefined, v => wholeNumber(p, at(path, key), v, 0, Number.MAX_SAFE_INTEGER))
    if (n !== undefined) out[key] = n
  }
  if (r.flags !== undefined && r.flags !== null) {
    const flags = record(p, at(path, 'flags'), r.flags, FLAGS) ?? {}
    out.flags = {}
    for (const [flag, v] of Object.entries(flags)) {
      const n = (FLAGS as readonly string[]).includes(flag) ? wholeNumber(p, at(at(path, 'flags'), flag), v, 0, Number.MAX_SAFE_INTEGER) : undefined
      if (n !== undefined) out.flags[flag] = n
    }
  }
  return out
}
