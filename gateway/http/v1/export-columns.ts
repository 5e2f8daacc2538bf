/**
 * The columns of a payroll export (punches.csv, punches.xlsx), in order, and each punch's cells. Times
 * are UTC (ISO 8601) except `local_time`, the wall clock in the export's zone with its offset, so that a
 * spreadsheet never has to guess a zone.
 */
import type { ListedPunch } from '../../store/punch-query.js'
import { localTimeText } from '../../time-zone.js'

export type ExportCell = string | number | Date

export interface ExportColumn {
  header: string
  cell: (p: ListedPunch, zone: string) => ExportCell
}

export const EXPORT_COLUMNS: readonly ExportColumn[] = [
  { header: 'id', cell: p => p.id },
  { header: 'device', cell: p => p.device },
  { header: 'site', cell: p => p.site },
  { header: 'emp', cell: p => p.emp },
  { header: 'person', cell: p => p.person ?? '' },
  { header: 'ts_utc', cell: p => new Date(p.ts) },
  { header: 'local_time', cell: (p, zone) => localTimeText(p.ts, zone) },
  { header: 'kind', cell: p => p.kind },
  { header: 'method', cell: p => p.method },
  { header: 'flags', cell: p => p.flags.join(' ') },
  { header: 'received_utc', cell: p => new Date(p.received) },
  { header: 'delivered', cell: p => p.delivered ? 'yes' : 'no' }
]

export function exportRow (p: ListedPunch, zone: string): ExportCell[] {
  return EXPORT_COLUMNS.map(c => c.cell(p, zone))
}
