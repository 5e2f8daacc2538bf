/**
 * The text table `punchline deadletters list` prints: one line per parked punch, with the upstream's own
 * words, so an operator can tell a roster gap from a malformed record without opening the database.
 */
import type { DeadLetter } from '../store/forward-store.js'

export function formatDeadLetters (rows: readonly DeadLetter[]): string {
  if (rows.length === 0) return 'no dead letters'
  const head = ['ROW', 'PUNCH', 'EMP', 'PUNCHED AT', 'PARKED AT', 'KIND', 'STATUS', 'REASON']
  const lines = rows.map(r => [
    String(r.rowId), r.punch, r.emp, new Date(r.ts).toISOString(), new Date(r.at).toISOString(), r.kind,
    r.status === null ? '-' : String(r.status), oneLine(r.reason)
  ])
  // The reason is last and left unpadded: it is free text and may be long.
  const widths = head.slice(0, -1).map((h, i) => Math.max(h.length, ...lines.map(l => l[i].length)))
  const fmt = (cells: string[]): string => cells.map((c, i) => i < widths.length ? c.padEnd(widths[i]) : c).join('  ')
  return [fmt(head), ...lines.map(fmt), `${rows.length} dead letter${rows.length === 1 ? '' : 's'}; replay with: punchline deadletters replay --all (kind unmapped: waiting for a roster entry or an employee upstream)`].join('\n')
}

function oneLine (s: string): string {
  return s.replace(/\s+/g, ' ').trim()
}
