/**
 * Export rows as an XLSX workbook (write-excel-file): one sheet, a bold header row kept in view, UTC times
 * as date cells a spreadsheet can compute with. Text is written as text cells, never as formulas, so a
 * badge starting with '=' stays text. The workbook is built in memory, on a thread of its own
 * (xlsx-thread.ts); the export route bounds its rows (XLSX_MAX_ROWS).
 */
import writeXlsxFile, { type SheetData } from 'write-excel-file/node'
import { startThread } from '../../thread.js'
import { EXPORT_COLUMNS, type ExportCell } from './export-columns.js'

export const XLSX_SHEET = 'punches'
const DATE_FORMAT = 'yyyy-mm-dd hh:mm:ss'

export async function xlsxWorkbook (rows: ReadonlyArray<readonly ExportCell[]>): Promise<Buffer> {
  const header = EXPORT_COLUMNS.map(c => ({ value: c.header, fontWeight: 'bold' as const }))
  const data: SheetData = [header, ...rows.map(r => r.map(c => c instanceof Date ? { value: c, type: Date, format: DATE_FORMAT } : c))]
  return await writeXlsxFile(data, { sheet: XLSX_SHEET, stickyRowsCount: 1 }).toBuffer()
}

/** The same, built on a thread of its own so that the event loop keeps serving meanwhile. */
export async function xlsxWorkbookOffThread (rows: ExportCell[][]): Promise<Buffer> {
  const thread = startThread(import.meta.url, 'xlsx-thread', rows)
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      thread.once('message', (bytes: Uint8Array) => resolve(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)))
      thread.once('error', reject)
      thread.once('exit', code => reject(new Error(`the XLSX thread ended (exit ${code}) without a workbook`)))
    })
  } finally {
    void thread.terminate()
  }
}
