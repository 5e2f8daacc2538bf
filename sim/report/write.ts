/**
 * Writes the HTML report where the run was asked to put it.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { renderHtmlReport } from './html.js'
import type { SimReportData } from './types.js'

/**
 * Creates missing directories and returns the absolute path, for the run to print as a link. The file
 * appears whole or not at all (written beside it, then renamed): a report opened while a run rewrites
 * it, or left by a run killed mid-write, is never half a page.
 */
export async function writeReport (path: string, data: SimReportData): Promise<string> {
  const target = resolve(path)
  await mkdir(dirname(target), { recursive: true })
  const tmp = `${target}.${process.pid}.tmp`
  await writeFile(tmp, renderHtmlReport(data), 'utf8')
  await rename(tmp, target)
  return target
}
