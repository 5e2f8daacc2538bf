/**
 * Export rows as an XLSX workbook (write-excel-file): one sheet, a bold header row kept in view, UTC times
 * as date cells a spreadsheet can compute with. Text is written as text cells, never as formulas, so a
 * badge starting with '=' stays text. The workbook is built in memory: the export route bounds its rows
 * (XLSX_MAX_ROWS).
 */
import writeXlsxFile, { type SheetData } from 'write-excel-file/node'
import { EXPORT_COLUMNS, type ExportCell } from './export-columns.js'

export const XLSX_SHEET = 'punches'
const DATE_FORMAT = 'yyyy-mm-dd hh:mm:ss'

export async function xlsxWorkbook (rows: ReadonlyArray<readonly ExportCell[]>): Promise<Buffer> {
  const header = EXPORT_COLUMNS.map(c => ({ value: c.header, fontWeight: 'bold' as const }))
  const data: SheetData = [header, ...rows.map(r => r.map(c => c instanceof Date ? { value: c, type: Date, format: DATE_FORMAT } : c))]
  return await writeXlsxFile(data, { sheet: XLSX_SHEET, stickyRowsCount: 1 }).toBuffer()
}
