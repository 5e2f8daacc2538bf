/**
 * A scenario file (YAML or JSON) as a JSON Schema: what docs/SCENARIOS.md describes, checked by
 * shared/settings-check.ts like the gateway's and the device's settings, and published in
 * docs/scenario.schema.json (`npm run docs:schemas`) for editors. Values with units are text the schema
 * hands to their `syntax` (sim/scenario/syntaxes.ts); the rules that need two fields or the whole file
 * are the readers' (sim/scenario/read-*.ts). Defaults are annotations here; the readers apply them.
 */
import { DEFAULT_RULES } from '../../gateway/rules/rules.js'
import { FLAGS } from '../../shared/flags.js'
import { section, wholeBetween } from '../../shared/settings-schema.js'
import { settingsChecker } from '../../shared/settings-check.js'
import { SCENARIO_DEFAULTS as D } from './defaults.js'
import { formatDuration } from './duration.js'
import { faultSchema } from './fault-schema.js'
import { siteSchema } from './site-schema.js'
import { SCENARIO_SYNTAXES, written } from './syntaxes.js'

const count = wholeBetween(0, Number.MAX_SAFE_INTEGER)

// The gateway config's rule names; the *Ms ones take durations ('24h'), the others counts, speeds and distances.
const rules = section(Object.fromEntries(Object.keys(DEFAULT_RULES).map(k => [k, k.endsWith('Ms')
  ? written('duration')
  : { type: 'number', minimum: 0, maximum: 1_000_000, problem: 'must be a number between 0 and 1000000' }])))

export const scenarioSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'punchline/scenario',
  title: 'punchline simulator scenario (punchline sim --file FILE; docs/SCENARIOS.md)',
  ...section({
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', problem: "must be letters, digits, '.', '-' or '_', at most 64" },
    description: { type: 'string', default: '' },
    seed: { ...wholeBetween(0, 0xFFFF_FFFF), default: D.seed },
    start: written('start', { default: D.start }),
    duration: written('duration', { default: formatDuration(D.durationMs) }),
    step: written('duration', { default: formatDuration(D.stepMs) }),
    sites: { type: 'array', minItems: 1, items: siteSchema, problem: 'must list at least one site' },
    faults: { type: 'array', items: faultSchema },
    gateway: section({ rules, retentionDays: { ...wholeBetween(0, 36_500), default: D.retentionDays } }),
    expect: section({
      overwritten: count,
      refused: count,
      deadLettered: count,
      rejected: count,
      flags: section(Object.fromEntries(FLAGS.map(f => [f, count])))
    })
  }, ['sites'])
}

export const checkScenarioSchema = settingsChecker(scenarioSchema, { keyWord: 'field', rootPath: '(top level)', syntaxes: SCENARIO_SYNTAXES })
