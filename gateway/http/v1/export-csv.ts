/**
 * Export rows as CSV text: RFC 4180 quoting and CRLF line ends (csv-stringify), and no cell a spreadsheet
 * would run as a formula. OWASP, "CSV Injection": a text cell starting with = + - @, a tab or a carriage
 * return is prefixed with a single quote, and the cell is quoted. Badges, device ids and reasons come from
 * devices and people; a terminal's keypad can type '=' as well as a digit.
 */
import { stringify } from 'csv-stringify/sync'
import type { ExportCell } from './export-columns.js'

const FORMULA_START = /^[=+\-@\t\r]/

export function csvCell (c: ExportCell): string {
  if (typeof c === 'number') return String(c)
  const text = c instanceof Date ? c.toISOString() : c
  return FORMULA_START.test(text) ? `'${text}` : text
}

/** Rows as CSV lines, each ended by CRLF. */
export function csvLines (rows: ReadonlyArray<readonly ExportCell[]>): string {
  return stringify(rows.map(r => r.map(csvCell)), { record_delimiter: 'windows', quoted_match: [/^'/, /[\r\n]/] })
}
