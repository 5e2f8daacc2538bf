/**
 * Checked `faults:` read into FaultSpecs with their defaults, and what the schema cannot know: that the
 * site and the devices a fault names exist, that it starts before the scenario ends, and when 'fri 18:00'
 * is, in the local time of the place it happens (its site, or the site of the first device it names).
 */
import { isPlainObject } from '../../shared/plain-object.js'
import type { SettingProblems } from '../../shared/settings-check.js'
import { settingPath as at } from '../../shared/settings-check.js'
import type { DeviceSelector, FaultSpec, SiteSpec } from './types.js'
import { SCENARIO_DEFAULTS as D } from './defaults.js'
import { parseTimelineAt } from './calendar.js'
import { formatDuration, parseDuration, parseSignedDuration } from './duration.js'
import { deviceId } from './devices.js'
import { FAULT_KINDS, faultFields, type FaultKind } from './fault-schema.js'
import { entriesOf, fieldsOf, fitting, readAt, valueOf } from './reading.js'

export interface FaultContext {
  sites: SiteSpec[]
  startMs: number
  durationMs: number
}

const MAX_LATENCY_MS = 60_000

const positive = fitting(parseDuration, ms => ms === 0 ? 'must be longer than 0' : undefined)
const latency = fitting(parseDuration, ms => ms > MAX_LATENCY_MS ? `must be at most 60s (got ${formatDuration(ms)}): longer is an outage, not latency` : undefined)
const clockStep = fitting(parseSignedDuration, ms => ms === 0 ? "must not be 0: a jump moves the clock ('+2h', '-90s')" : undefined)

export function readFaults (p: SettingProblems, path: string, raw: unknown, ctx: FaultContext): FaultSpec[] {
  return entriesOf(raw).flatMap((f, i) => readFault(p, at(path, i), f, ctx) ?? [])
}

function readFault (p: SettingProblems, path: string, raw: unknown, ctx: FaultContext): FaultSpec | undefined {
  const kind = isPlainObject(raw) ? raw.kind : undefined
  // The schema has said what is wrong with a fault of no known kind; there is nothing else to read.
  if (!isPlainObject(raw) || !(FAULT_KINDS as readonly unknown[]).includes(kind)) return undefined
  return readKnownFault(p, path, raw, kind as FaultKind, ctx)
}

function readKnownFault (p: SettingProblems, path: string, r: Record<string, unknown>, kind: FaultKind, ctx: FaultContext): FaultSpec {
  const fields = faultFields(kind)
  const site = fields.includes('site') ? siteField(p, at(path, 'site'), r.site, ctx.sites) : undefined
  const select = fields.includes('select') ? selector(p, at(path, 'select'), r.select, ctx.sites, kind) : {}
  const where = site ?? select.site ?? ctx.sites.find(s => select.devices?.[0] !== undefined && hasDevice([s], select.devices[0]))?.id
  const tz = (ctx.sites.find(s => s.id === where) ?? ctx.sites[0])?.tz ?? 0
  const atMs = readAt(p, at(path, 'at'), r.at, 0, fitting(v => parseTimelineAt(v, ctx.startMs, tz), ms => ms >= ctx.durationMs
    ? `${formatDuration(ms)} after the start is not before the scenario ends (duration ${formatDuration(ctx.durationMs)})`
    : undefined))
  const ms = (key: string, def = 1, read = positive): number => readAt(p, at(path, key), r[key], def, read)
  const value = <T>(key: string, def: T): T => valueOf(p, at(path, key), r[key], def)
  switch (kind) {
    case 'site-outage': return { kind, atMs, forMs: ms('for'), site: site ?? '' }
    case 'flapping': return { kind, atMs, forMs: ms('for'), site: site ?? '', upMs: ms('up', D.faults.flappingUpMs), downMs: ms('down', D.faults.flappingDownMs) }
    case 'latency': return { kind, atMs, forMs: ms('for'), site: site ?? '', latencyMs: ms('latency', D.faults.latencyMs, latency), jitterMs: ms('jitter', D.faults.jitterMs, latency) }
    case 'gateway-restart': return { kind, atMs, downMs: ms('down', D.faults.gatewayDownMs), crash: value('crash', D.faults.crash as boolean) }
    case 'upstream-outage': return { kind, atMs, forMs: ms('for'), status: value('status', D.faults.upstreamStatus as number) }
    case 'power-cut': return { kind, atMs, offMs: ms('off', D.faults.powerOffMs), select, tornWrite: value('tornWrite', D.faults.tornWrite as boolean) }
    case 'rtc-loss': return { kind, atMs, select }
    case 'clock-jump': return { kind, atMs, select, byMs: ms('by', 0, clockStep) }
    case 'gps-spoof': return { kind, atMs, select, km: value('km', D.faults.spoofKm as number) }
    case 'poison-record': return { kind, atMs, select }
    case 'thundering-herd': return { kind, atMs }
  }
}

function siteField (p: SettingProblems, path: string, v: unknown, sites: SiteSpec[]): string | undefined {
  if (v === undefined) {
    // With one site there is nothing to choose; with several, guessing would put the fault in the wrong place.
    if (sites.length === 1) return sites[0].id
    p.add(path, `is required with more than one site (sites: ${sites.map(s => s.id).join(', ')})`)
    return undefined
  }
  if (p.has(path)) return undefined
  if (!sites.some(s => s.id === v)) {
    p.add(path, `no site '${v as string}' (sites: ${sites.map(s => s.id).join(', ')})`)
    return undefined
  }
  return v as string
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

function selector (p: SettingProblems, path: string, raw: unknown, sites: SiteSpec[], kind: FaultKind): DeviceSelector {
  const r = fieldsOf(raw)
  const sel: DeviceSelector = {}
  if (r.site !== undefined) sel.site = siteField(p, at(path, 'site'), r.site, sites)
  if (r.count !== undefined) sel.count = valueOf<number | undefined>(p, at(path, 'count'), r.count, undefined)
  if (r.devices !== undefined) {
    sel.devices = []
    entriesOf(r.devices).forEach((id, i) => {
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
