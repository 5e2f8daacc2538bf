/**
 * A scenario file the schema has checked, read into a `Scenario` with every default filled in and every
 * unit turned into ms, and the rules that need the whole file: ids unique across sites, a step no longer
 * than the run, faults at sites and devices that exist (read-faults.ts).
 */
import type { RulesConfig } from '../../gateway/rules/rules.js'
import type { SettingProblems } from '../../shared/settings-check.js'
import { settingPath as at } from '../../shared/settings-check.js'
import type { Expectations, Scenario, SiteSpec } from './types.js'
import { SCENARIO_DEFAULTS as D } from './defaults.js'
import { parseStart } from './calendar.js'
import { formatDuration, parseDuration } from './duration.js'
import { readFaults } from './read-faults.js'
import { readSite } from './read-site.js'
import { entriesOf, fieldsOf, fitting, readAt, valueOf, type Read } from './reading.js'

const MAX_DURATION_MS = 366 * 86_400_000
const MAX_STEP_MS = 3_600_000

const span = (min: number, max: number): Read<number> => fitting(parseDuration, ms => ms < min || ms > max
  ? `must be between ${formatDuration(min)} and ${formatDuration(max)} (got ${formatDuration(ms)})`
  : undefined)

/** `fallbackName`: the file's name without its extension, the scenario's name when it gives none. */
export function readScenario (p: SettingProblems, raw: unknown, fallbackName: string): Scenario {
  const r = fieldsOf(raw)
  const sites = entriesOf(r.sites).map((s, i) => readSite(p, at('sites', i), s, i))
  checkUnique(p, sites)
  // A date alone names a day at the place the scenario is about: the first site's.
  const tz = sites[0]?.tz ?? 0
  const startMs = readAt(p, 'start', r.start, parseStart(D.start, tz) as number, v => parseStart(v, tz))
  const durationMs = readAt(p, 'duration', r.duration, D.durationMs as number, span(1000, MAX_DURATION_MS))
  const stepMs = readAt(p, 'step', r.step, D.stepMs as number, span(1, MAX_STEP_MS))
  if (stepMs > durationMs) p.add('step', `${formatDuration(stepMs)} is longer than the whole scenario (${formatDuration(durationMs)})`)
  return {
    name: valueOf(p, 'name', r.name, fallbackName),
    description: valueOf(p, 'description', r.description, '').trim(),
    seed: valueOf(p, 'seed', r.seed, D.seed as number),
    startMs,
    durationMs,
    stepMs,
    sites,
    faults: readFaults(p, 'faults', r.faults, { sites, startMs, durationMs }),
    gateway: readGateway(p, fieldsOf(r.gateway)),
    expect: readExpectations(fieldsOf(r.expect))
  }
}

function readGateway (p: SettingProblems, r: Record<string, unknown>): Scenario['gateway'] {
  const rules: Partial<RulesConfig> = {}
  for (const [key, v] of Object.entries(fieldsOf(r.rules)) as Array<[keyof RulesConfig, unknown]>) {
    const path = at('gateway.rules', key)
    if (p.has(path)) continue
    rules[key] = key.endsWith('Ms') ? readAt(p, path, v, 0, parseDuration) : v as number
  }
  return { rules, retentionDays: valueOf(p, 'gateway.retentionDays', r.retentionDays, D.retentionDays as number) }
}

/** The schema has checked every count; a wrong one makes the file fail, so they are taken as they are. */
function readExpectations (r: Record<string, unknown>): Expectations {
  return structuredClone(r) as Expectations
}

/**
 * Sites are named in faults and device ids must not repeat across the scenario (they are identities,
 * docs/ARCHITECTURE.md, decision 1).
 */
function checkUnique (p: SettingProblems, sites: SiteSpec[]): void {
  const siteIds = new Map<string, number>()
  const prefixes = new Map<string, string>()
  sites.forEach((s, i) => {
    const first = siteIds.get(s.id)
    if (first !== undefined) p.add(at(at('sites', i), 'id'), `'${s.id}' is already sites[${first}]`)
    else siteIds.set(s.id, i)
    s.devices.forEach((g, j) => {
      const where = at(at(at('sites', i), 'devices'), j)
      const other = prefixes.get(g.prefix)
      // The gateway's site map matches devices by `prefix*`: 'hq-T*' would also take 'hq-TX0001'.
      const overlapping = [...prefixes.entries()].find(([q]) => q !== g.prefix && (g.prefix.startsWith(q) || q.startsWith(g.prefix)))
      if (other !== undefined) p.add(at(where, 'prefix'), `'${g.prefix}' is also the prefix of ${other}: give each group its own prefix, device ids must not repeat`)
      else if (overlapping !== undefined) p.add(at(where, 'prefix'), `'${g.prefix}' and the prefix '${overlapping[0]}' of ${overlapping[1]} start alike: a device id would match both`)
      else prefixes.set(g.prefix, where)
    })
  })
}
