/**
 * The text `punchline report` prints: alarms first (what needs a person), then devices, backlog, flags,
 * storage and backups, each a short block an operator can read over a phone call.
 */
import type { Alarm } from '../alarms.js'
import type { DeviceHealth, HealthSnapshot } from '../health.js'
import { formatBytes, formatDuration } from '../units.js'
import type { TransportSecurity } from '../broker/transport-security.js'

/** A block of the report: lines of text, or a table whose last column holds free text. */
export type ReportSection = { title: string, lines: string[] } | { title: string, head: string[], rows: string[][] }

export function reportTitle (s: HealthSnapshot): string {
  return `punchline report: gateway ${s.gatewayId} at ${iso(s.at)}`
}

/** The report's blocks, in order, for the text here and the printable page (http/v1/report-html.ts). */
export function reportSections (s: HealthSnapshot, alarms: readonly Alarm[], security: TransportSecurity): ReportSection[] {
  const tableOr = (title: string, empty: string, head: string[], rows: string[][]): ReportSection => rows.length === 0 ? { title, lines: [empty] } : { title, head, rows }
  return [
    tableOr(`ALARMS (${alarms.length})`, 'none', ['SEVERITY', 'ALARM', 'DEVICE', 'WHAT TO DO'], alarms.map(a => [a.severity.toUpperCase(), a.name, a.subject ?? '-', a.message])),
    { title: 'SECURITY', lines: securityLines(security) },
    tableOr(devicesTitle(s.devices), 'no devices registered (punchline devices add ID)', ['DEVICE', 'STATUS', 'LAST SEEN', 'RING FILL', 'CLOCK OFFSET', 'BATTERY'], s.devices.map(d => deviceRow(d, s.at))),
    { title: 'BACKLOG', lines: backlogLines(s) },
    flagSection(s.flags24h),
    { title: 'STORAGE', lines: storageLines(s) },
    tableOr(`BACKUPS (${s.backups.length})`, 'none (punchline backup takes one now; backup.intervalHours schedules them)', ['TAKEN', 'SIZE', 'FILE'],
      s.backups.slice().reverse().map(b => [`${iso(b.at)} (${formatDuration(s.at - b.at)} ago)`, formatBytes(b.bytes), b.path]))
  ]
}

export function formatReport (s: HealthSnapshot, alarms: readonly Alarm[], security: TransportSecurity): string {
  return [reportTitle(s), ...reportSections(s, alarms, security).map(r => section(r.title, 'lines' in r ? r.lines : table(r.head, r.rows)))].join('\n\n')
}

function devicesTitle (devices: readonly DeviceHealth[]): string {
  const online = devices.filter(d => d.online === true).length
  return `DEVICES (${devices.length}: ${online} online, ${devices.length - online} offline or unknown)`
}

function deviceRow (d: DeviceHealth, now: number): string[] {
  return [
    d.id,
    d.online === null ? 'unknown' : d.online ? 'online' : 'offline',
    d.lastSeen === null ? 'never' : `${iso(d.lastSeen)} (${formatDuration(now - d.lastSeen)} ago)`,
    d.ring === null ? '-' : `${Math.floor(d.ring.fill * 100)} % (${d.ring.pending} / ${d.ring.capacity})`,
    d.clockOffsetMs === null ? '-' : signed(d.clockOffsetMs),
    d.battery === null ? '-' : `${Math.round(d.battery * 100)} %`
  ]
}

function backlogLines (s: HealthSnapshot): string[] {
  const b = s.backlog
  const lines = [
    `pending punches  ${b.pendingPunches}${b.batches > 0 ? ` (${b.batches} batch${b.batches === 1 ? '' : 'es'} formed)` : ''}` +
      (s.upstream.configured ? '' : ' - no upstream configured'),
    `oldest pending   ${b.oldestPendingAgeMs === null ? '-' : `stored ${formatDuration(b.oldestPendingAgeMs)} ago (${iso(b.oldestReceived!)})`}`
  ]
  if (s.outbox.failingBatches > 0) {
    lines.push(`failing batches  ${s.outbox.failingBatches}, the oldest since ${iso(s.outbox.failingSince!)}; last error: ${s.outbox.lastError ?? '-'}`)
  }
  const dead = Object.entries(s.deadLetters).map(([k, n]) => `${k} ${n}`).join(', ')
  lines.push(`dead letters     ${dead}`)
  return lines
}

function flagSection (flags: Record<string, number>): ReportSection {
  const entries = Object.entries(flags).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  const title = 'FLAGS (last 24 h)'
  return entries.length === 0 ? { title, lines: ['none'] } : { title, head: ['FLAG', 'PUNCHES'], rows: entries.map(([f, n]) => [f, String(n)]) }
}

function storageLines (s: HealthSnapshot): string[] {
  const u = s.storage
  return [
    `database  ${formatBytes(u.usedBytes)} in use (file ${formatBytes(u.fileBytes)}, free pages ${formatBytes(u.freePageBytes)}, WAL ${formatBytes(u.walBytes)}); ` +
      (u.maxDbBytes > 0 ? `budget ${formatBytes(u.maxDbBytes)} (${Math.floor(u.usedBytes * 100 / u.maxDbBytes)} %)` : 'no budget'),
    `disk      ${formatBytes(u.diskFreeBytes)} free of ${formatBytes(u.diskTotalBytes)}; ` + (u.minFreeBytes > 0 ? `floor ${formatBytes(u.minFreeBytes)}` : 'no floor'),
    `ingest    ${u.full === null ? 'accepting' : `STOPPED: ${u.full}`}`
  ]
}

function securityLines (t: TransportSecurity): string[] {
  const plain = t.mqtt === null
    ? 'plain listener closed'
    : t.secretsInClearText
      ? `plain listener ${t.mqtt} open: device secrets travel in clear text; move devices to mqtts and set mqtt.plain false (punchline gateway --init makes a CA and a certificate)`
      : `plain listener ${t.mqtt} open, anonymous devices allowed (allowAnonymous: a lab setting)`
  return [
    `mqtt   ${plain}`,
    `mqtts  ${t.mqtts ?? 'off (set mqtt.tls.cert and mqtt.tls.key)'}`,
    `http   ${t.http}; /api/* needs the token, /metrics ${t.metricsPublic ? 'public' : 'too'}`
  ]
}

function section (title: string, lines: readonly string[]): string {
  return [title, ...lines.map(l => '  ' + l)].join('\n')
}

/** Pads every column but the last, which holds free text. */
function table (head: string[], rows: string[][]): string[] {
  const widths = head.slice(0, -1).map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
  const fmt = (cells: string[]): string => cells.map((c, i) => i < widths.length ? c.padEnd(widths[i]) : c).join('  ').trimEnd()
  return [fmt(head), ...rows.map(fmt)]
}

function signed (ms: number): string {
  const sign = ms < 0 ? '-' : '+'
  return Math.abs(ms) < 1000 ? `${sign}${Math.abs(ms)} ms` : `${sign}${formatDuration(Math.abs(ms))}`
}

function iso (ms: number): string {
  return new Date(ms).toISOString()
}
