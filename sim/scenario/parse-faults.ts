/**
 * `faults:`: what goes wrong and when. Every fault has a `kind` and an `at` (a duration after the start
 * or 'fri 18:00', in the site's local time when the fault names a site); the rest depends on the kind.
 * Field names in the file drop the types' `Ms` suffix because their values carry units ('for: 62h').
 */
import type { DeviceSelector, FaultSpec, SiteSpec } from './types.js'
import { SCENARIO_DEFAULTS as D } from './defaults.js'
import { parseTimelineAt } from './calendar.js'
import { formatDuration, parseDuration, parseSignedDuration } from './duration.js'
import { deviceId } from './devices.js'
import { Problems, at, bool, closest, list, numberIn, optional, parsed, record, required, wholeNumber, type Plain } from './problems.js'

export const FAULT_KINDS = [
  'site-outage', 'flapping', 'latency', 'gateway-restart', 'upstream-outage', 'power-cut',
  'rtc-loss', 'clock-jump', 'gps-spoof', 'poison-record', 'thundering-herd'
] as const
type FaultKind = typeof FAULT_KINDS[number]

/** The fields each kind takes besides `kind` and `at`. */
const KIND_FIELDS: Record<FaultKind, readonly string[]> = {
  'site-outage': ['site', 'for'],
  flapping: ['site', 'for', 'up', 'down'],
  latency: ['site', 'for', 'latency', 'jitter'],
  'gateway-restart': ['down', 'crash'],
  'upstream-outage': ['for', 'status'],
  'power-cut': ['select', 'off', 'tornWrite'],
  'rtc-loss': ['select'],
  'clock-jump': ['select', 'by'],
  'gps-spoof': ['select', 'km'],
  'poison-record': ['select'],
  'thundering-herd': []
}

export interface FaultContext {
  sites: SiteSpec[]
  startMs: number
  durationMs: number
}

export function parseFaults (p: Problems, path: string, raw: unknown, ctx: FaultContext): FaultSpec[] {
  const entries = optional(raw, [], v => list(p, path, v))
  const out: FaultSpec[] = []
  entries.forEach((f, i) => {
    const fault = parseFault(p, at(path, i), f, ctx)
    if (fault !== undefined) out.push(fault)
  })
  return out
}

function parseFault (p: Problems, path: string, raw: unknown, ctx: FaultContext): FaultSpec | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) { record(p, path, raw, ['kind', 'at']); return undefined }
  // The fields a fault may have depend on its kind: without a known kind there is nothing else to check.
  const kindOf = (raw as Plain).kind
  if (!required(p, at(path, 'kind'), kindOf)) return undefined
  const kind = oneOfKinds(p, at(path, 'kind'), kindOf)
  if (kind === undefined) return undefined
  const r = record(p, path, raw, ['kind', 'at', ...KIND_FIELDS[kind]], `a ${kind} fault`) ?? {}
  const site = KIND_FIELDS[kind].includes('site') ? siteField(p, at(path, 'site'), r.site, ctx.sites) : undefined
  const select = KIND_FIELDS[kind].includes('select') ? selector(p, at(path, 'select'), r.select, ctx.sites, kind) : undefined
  // 'fri 18:00' is read at the place the fault happens: its site, or the site of the first device it names.
  const where = site ?? select?.site ?? ctx.sites.find(s => select?.devices?.[0] !== undefined && hasDevice([s], select.devices[0]))?.id
  const tzSite = ctx.sites.find(s => s.id === where) ?? ctx.sites[0]
  const atMs = timelineAt(p, at(path, 'at'), r.at, ctx, tzSite?.tz ?? 0)
  const dur = (key: string, def?: number): number => {
    if (def === undefined && !required(p, at(path, key), r[key])) return 1
    return optional(r[key], def ?? 1, v => positive(p, at(path, key), v))
  }
  switch (kind) {
    case 'site-outage': return { kind, atMs, forMs: dur('for'), site: site ?? '' }
    case 'flapping': return { kind, atMs, forMs: dur('for'), site: site ?? '', upMs: dur('up', D.faults.flappingUpMs), downMs: dur('down', D.faults.flappingDownMs) }
    case 'latency': return latency(p, path, r, atMs, dur('for'), site ?? '')
    case 'gateway-restart': return { kind, atMs, downMs: dur('down', D.faults.gatewayDownMs), crash: optional(r.crash, D.faults.crash as boolean, v => bool(p, at(path, 'crash'), v)) }
    case 'upstream-outage': return { kind, atMs, forMs: dur('for'), status: optional(r.status, D.faults.upstreamStatus as number, v => retryableStatus(p, at(path, 'status'), v)) }
    case 'power-cut': return { kind, atMs, offMs: dur('off', D.faults.powerOffMs), select: select ?? {}, tornWrite: optional(r.tornWrite, D.faults.tornWrite as boolean, v => bool(p, at(path, 'tornWrite'), v)) }
    case 'rtc-loss': return { kind, atMs, select: select ?? {} }
    case 'clock-jump': return { kind, atMs, select: select ?? {}, byMs: clockStep(p, at(path, 'by'), r.by) }
    case 'gps-spoof': return { kind, atMs, select: select ?? {}, km: optional(r.km, D.faults.spoofKm as number, v => numberIn(p, at(path, 'km'), v, 0.1, 20_000)) }
    case 'poison-record': return { kind, atMs, select: select ?? {} }
    case 'thundering-herd': return { kind, atMs }
  }
}

function oneOfKinds (p: Problems, path: string, v: unknown): FaultKind | undefined {
  if (typeof v === 'string' && (FAULT_KINDS as readonly string[]).includes(v)) return v as FaultKind
  const near = typeof v === 'string' ? closest(v, FAULT_KINDS) : undefined
  p.add(path, `must be one of ${FAULT_KINDS.join(', ')}${typeof v === 'string' ? ` (got '${v}'${near !== undefined ? `; did you mean '${near}'?` : ''})` : ''}`)
  return undefined
}

function timelineAt (p: Problems, path: string, v: unknown, ctx: FaultContext, tz: number): number {
  if (!required(p, path, v)) return 0
  const ms = parsed(p, path, v, x => parseTimelineAt(x, ctx.startMs, tz))
  if (ms === undefined) return 0
  if (ms >= ctx.durationMs) p.add(path, `${formatDuration(ms)} after the start is not before the scenario ends (duration ${formatDuration(ctx.durationMs)})`)
  return ms
}

function positive (p: Problems, path: string, v: unknown): number | undefined {
  const ms = parsed(p, path, v, parseDuration)
  if (ms === 0) { p.add(path, 'must be longer than 0'); return undefined }
  return ms
}

function siteField (p: Problems, path: string, v: unknown, sites: SiteSpec[]): string | undefined {
  if (v === undefined || v === null) {
    // With one site there is nothing to choose; with several, guessing would put the fault in the wrong place.
    if (sites.length === 1) return sites[0].id
    p.add(path, `is required with more than one site (sites: ${sites.map(s => s.id).join(', ')})`)
    return undefined
  }
  if (typeof v !== 'string' || !sites.some(s => s.id === v)) {
    p.add(path, `no site ${typeof v === 'string' ? `'${v}'` : JSON.stringify(v)} (sites: ${sites.map(s => s.id).join(', ')})`)
    return undefined
  }
  return v
}

function hasDevice (sites: SiteSpec[], id: string, kind?: 'watch'): boolean {
  for (const s of sites) {
    for (const g of s.devices) {
      if (kind !== undefined && g.kind !== kind) continue
      if (!id.startsWith(g.prefix)) continue
      const n = Number(id.slice(g.prefix.length))
      if (Number.isInteger(n) && n >= 1 && n <= g.count && deviceId(g, n) === id) return true
    }
  }
  return false
}

function selector (p: Problems, path: string, raw: unknown, sites: SiteSpec[], kind: FaultKind): DeviceSelector {
  const r: Plain = optional(raw, {}, v => record(p, path, v, ['site', 'count', 'devices']))
  const sel: DeviceSelector = {}
  if (r.site !== undefined && r.site !== null) sel.site = siteField(p, at(path, 'site'), r.site, sites)
  if (r.count !== undefined && r.count !== null) sel.count = wholeNumber(p, at(path, 'count'), r.count, 1, 1_000_000)
  if (r.devices !== undefined && r.devices !== null) {
    const ids = list(p, at(path, 'devices'), r.devices, 1) ?? []
    sel.devices = []
    ids.forEach((id, i) => {
      if (typeof id === 'string' && hasDevice(sites, id)) sel.devices?.push(id)
      else p.add(at(at(path, 'devices'), i), `no device ${JSON.stringify(id)} in this scenario (ids are a group's prefix and a 4-digit number, e.g. '${deviceId(sites[0]?.devices[0] ?? { prefix: 'hq-T' }, 1)}')`)
    })
  }
  // A spoofed fix needs a GPS: a selector with no watch in it would make the fault a no-op.
  if (kind === 'gps-spoof') {
    const scope = sites.filter(s => sel.site === undefined || s.id === sel.site)
    const watches = sel.devices !== undefined ? sel.devices.filter(id => hasDevice(scope, id, 'watch')) : scope.flatMap(s => s.devices).filter(g => g.kind === 'watch')
    if (watches.length === 0) p.add(path, 'selects no watch: gps-spoof changes GPS fixes, which only watches take')
  }
  for (const k of Object.keys(sel) as Array<keyof DeviceSelector>) if (sel[k] === undefined) delete sel[k]
  return sel
}

function latency (p: Problems, path: string, r: Plain, atMs: number, forMs: number, site: string): FaultSpec {
  const ms = (key: string, def: number): number => optional(r[key], def, v => {
    const n = parsed(p, at(path, key), v, parseDuration)
    if (n !== undefined && n > 60_000) { p.add(at(path, key), `must be at most 60s (got ${formatDuration(n)}): longer is an outage, not latency`); return undefined }
    return n
  })
  return { kind: 'latency', atMs, forMs, site, latencyMs: ms('latency', D.faults.latencyMs), jitterMs: ms('jitter', D.faults.jitterMs) }
}

/**
 * Statuses a forwarder retries (docs/ARCHITECTURE.md, decision 7); any other 4xx would dead-letter every
 * punch instead.
 */
function retryableStatus (p: Problems, path: string, v: unknown): number | undefined {
  if (v === 408 || v === 429 || (typeof v === 'number' && Number.isInteger(v) && v >= 500 && v <= 599)) return v
  p.add(path, `must be 408, 429 or 500-599: an outage is an answer the forwarder retries (got ${JSON.stringify(v)})`)
  return undefined
}

function clockStep (p: Problems, path: string, v: unknown): number {
  if (!required(p, path, v)) return 0
  const ms = parsed(p, path, v, parseSignedDuration)
  if (ms === 0) p.add(path, "must not be 0: a jump moves the clock ('+2h', '-90s')")
  return ms ?? 0
}
