/**
 * The end of a hardware run, for a person and for a machine: the reconciliation with what the line threw
 * at the device beside what the device says it threw away, and the same as JSON for --report.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { DeviceCounters } from './device-child.js'
import type { LineFault } from './line-faults.js'
import { locationText, type Presented, type Reconciliation } from './reconcile.js'
import type { UpstreamPunch } from '../../shared/upstream.js'

export interface HardwareRunFacts {
  scenario: string
  seed: number
  parts: string[]
  everyMs: number
  lineFaults: number
  faultCounts: Record<LineFault, number>
  /** what the fakes sent that the device should count and throw away */
  sent: { badFrames: number, noiseBytes: number }
  unplugs: number
  /** undefined when the device ran outside (--external): its counters are its own */
  device?: DeviceCounters
  /** R307 touches the device did not finish in time */
  unfinishedTouches?: number
  stopped?: string
}

const SHOWN = 10

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`

function sum (r: Record<string, number>): number {
  return Object.values(r).reduce((a, b) => a + b, 0)
}

export function formatHardwareSummary (r: Reconciliation, f: HardwareRunFacts): string {
  const n = (v: number): string => String(v).padStart(6)
  const fc = f.faultCounts
  const lines = [
    `hardware run: ${r.device} of ${f.scenario} (seed ${f.seed}), ${f.parts.join(' + ')}`,
    `  presented  ${n(r.presented)}  reads (${fc.noise} with noise before, ${fc.split} split, ${fc['bad-checksum']} with a bad frame first; ${plural(f.unplugs, 'unplug')})`,
    `  delivered  ${n(r.delivered)}  punches upstream from ${r.device}`,
    `  missing    ${n(r.missing.length)}`,
    `  extra      ${n(r.extra.length)}`,
    `  duplicates ${n(r.duplicates)}`
  ]
  const d = f.device
  if (d !== undefined) {
    lines.push(`  device     ${n(d.accepted)}  accepted, ${plural(d.duplicateReads, 'duplicate read')}, ${d.refused} refused`)
    lines.push(`  line            the device counted ${plural(sum(d.badChecksum), 'bad checksum')} (${f.sent.badFrames} bad frames sent), ` +
      `${plural(sum(d.noiseBytes), 'noise byte')} (${f.sent.noiseBytes} sent), ${plural(sum(d.reconnects), 'reconnect')}, ${plural(d.readerFaults, 'reader fault')}`)
  } else {
    lines.push(`  line            ${f.sent.badFrames} bad frames and ${f.sent.noiseBytes} noise bytes sent; the device ran outside (--external): its counts are in its own log`)
  }
  if ((f.unfinishedTouches ?? 0) > 0) lines.push(`  r307            ${f.unfinishedTouches} touches the device did not finish within 10 s`)
  if (f.stopped !== undefined) lines.push(`  stopped early: ${f.stopped}`)
  for (const p of r.missing.slice(0, SHOWN)) {
    lines.push(`  missing: read ${p.n} ${p.person} ${p.method} ${p.emp}${p.loc !== undefined ? ` at ${locationText(p.loc)}` : ''}${p.fault !== undefined ? ` [${p.fault}]` : ''}`)
  }
  if (r.missing.length > SHOWN) lines.push(`  ... and ${r.missing.length - SHOWN} more missing`)
  for (const p of r.extra.slice(0, SHOWN)) lines.push(`  extra: ${p.id} ${p.method} ${p.emp} at ${locationText(p.loc)}`)
  if (r.extra.length > SHOWN) lines.push(`  ... and ${r.extra.length - SHOWN} more extra`)
  lines.push(r.exact
    ? `OK: every read presented reached the upstream exactly once (${r.presented} of ${r.presented})`
    : `FAILED: ${r.missing.length} missing, ${r.extra.length} extra, ${r.duplicates} duplicates`)
  return lines.join('\n')
}

/** With every read presented and every punch delivered, so a reader can check the pairing for themselves. */
export function writeHardwareReport (file: string, r: Reconciliation, f: HardwareRunFacts, detail: { presented: Presented[], delivered: UpstreamPunch[] }): string {
  const path = resolve(file)
  mkdirSync(dirname(path), { recursive: true })
  const delivered = detail.delivered.map(p => ({ id: p.id, seq: p.seq, emp: p.emp, method: p.method, loc: p.loc, flags: p.flags })).sort((a, b) => a.seq - b.seq)
  writeFileSync(path, JSON.stringify({ ...f, reconciliation: r, presented: detail.presented, delivered }, null, 2) + '\n')
  return path
}
