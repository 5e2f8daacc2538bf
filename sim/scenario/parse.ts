/**
 * A scenario file (YAML or JSON; YAML 1.2 reads JSON as it is) → a validated `Scenario`, or one
 * ScenarioError that lists every problem with its path. docs/SCENARIOS.md is the format for people.
 */
import { readFileSync } from 'node:fs'
import { basename, extname } from 'node:path'
import { parseDocument } from 'yaml'
import type { Scenario, SiteSpec } from './types.js'
import { SCENARIO_DEFAULTS as D } from './defaults.js'
import { parseStart } from './calendar.js'
import { formatDuration, parseDuration } from './duration.js'
import { parseSite } from './parse-site.js'
import { parseFaults } from './parse-faults.js'
import { parseExpectations, parseGateway } from './parse-gateway.js'
import { Problems, ScenarioError, at, list, optional, parsed, record, required, text, wholeNumber } from './problems.js'

const TOP_FIELDS = ['name', 'description', 'seed', 'start', 'duration', 'step', 'sites', 'faults', 'gateway', 'expect'] as const
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
const MAX_DURATION_MS = 366 * 86_400_000

export function parseScenario (textIn: string, fileName: string): Scenario {
  const doc = parseDocument(textIn, { prettyErrors: true, uniqueKeys: true })
  if (doc.errors.length > 0) {
    throw new ScenarioError(fileName, doc.errors.map(e => {
      const where = e.linePos?.[0]
      return `${where === undefined ? '' : `line ${where.line}, column ${where.col}: `}${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`
    }))
  }
  const p = new Problems()
  const scenario = readScenario(p, doc.toJS() as unknown, fileName)
  if (p.list.length > 0) throw new ScenarioError(fileName, p.list)
  return scenario
}

export function loadScenario (path: string): Scenario {
  let content: string
  try {
    content = readFileSync(path, 'utf8')
  } catch (err) {
    throw new Error(`${path}: cannot read the scenario file (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
  return parseScenario(content, path)
}

function readScenario (p: Problems, raw: unknown, fileName: string): Scenario {
  const r = record(p, '', raw, TOP_FIELDS) ?? {}
  const fallbackName = basename(fileName, extname(fileName))
  const name = optional(r.name, fallbackName, v => text(p, 'name', v, NAME, "letters, digits, '.', '-' or '_', at most 64"))
  const description = optional(r.description, '', v => text(p, 'description', v, /^[\s\S]*$/, 'text'))
  const seed = optional(r.seed, D.seed as number, v => wholeNumber(p, 'seed', v, 0, 0xFFFF_FFFF))

  const sites: SiteSpec[] = required(p, 'sites', r.sites)
    ? (list(p, 'sites', r.sites, 1) ?? []).map((s, i) => parseSite(p, at('sites', i), s, i))
    : []
  checkUnique(p, sites)

  const tz = sites[0]?.tz ?? 0
  const startMs = optional(r.start, parseStart(D.start, tz) as number, v => parsed(p, 'start', v, x => parseStart(x, tz)))
  const durationMs = optional(r.duration, D.durationMs as number, v => span(p, 'duration', v, 1000, MAX_DURATION_MS))
  const stepMs = optional(r.step, D.stepMs as number, v => span(p, 'step', v, 1, 3_600_000))
  if (stepMs > durationMs) p.add('step', `${formatDuration(stepMs)} is longer than the whole scenario (${formatDuration(durationMs)})`)

  const faults = parseFaults(p, 'faults', r.faults, { sites, startMs, durationMs })
  const gateway = parseGateway(p, 'gateway', r.gateway)
  const expect = parseExpectations(p, 'expect', r.expect)
  return { name, description: description.trim(), seed, startMs, durationMs, stepMs, sites, faults, gateway, expect }
}

function span (p: Problems, path: string, v: unknown, min: number, max: number): number | undefined {
  const ms = parsed(p, path, v, parseDuration)
  if (ms !== undefined && (ms < min || ms > max)) { p.add(path, `must be between ${formatDuration(min)} and ${formatDuration(max)} (got ${formatDuration(ms)})`); return undefined }
  return ms
}

/**
 * Sites are named in faults and device ids must not repeat across the scenario (they are identities,
 * docs/ARCHITECTURE.md, decision 1).
 */
function checkUnique (p: Problems, sites: SiteSpec[]): void {
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
