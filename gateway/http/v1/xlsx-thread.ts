/**
 * Builds one XLSX workbook on a thread of its own (export-xlsx.ts, xlsxWorkbookOffThread): the zip and
 * XML of tens of thousands of rows take seconds of CPU, which on the event loop would hold back every
 * PUBACK and ack of the broker that shares it.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { xlsxWorkbook } from './export-xlsx.js'
import type { ExportCell } from './export-columns.js'

const workbook = await xlsxWorkbook(workerData as ExportCell[][])
// A copy of its own: a Buffer may share its memory with others, and a transfer takes the whole of it.
const bytes = new Uint8Array(workbook)
parentPort!.postMessage(bytes, [bytes.buffer as ArrayBuffer])
