/**
 * Payroll exports (hr, admin): GET /api/v1/punches.csv and /api/v1/punches.xlsx with the filter of
 * /api/v1/punches (punch-filter.ts), every matching punch in id order, the columns of export-columns.ts.
 * The CSV is streamed a page at a time, so it holds one page in memory however many punches match; the
 * XLSX workbook is built whole (on a thread of its own), so it takes at most XLSX_MAX_ROWS punches and
 * refuses more with a 422 that says to narrow the filter or take the CSV, and at most
 * XLSX_EXPORTS_AT_ONCE are built at once (429 with Retry-After beyond).
 */
import { Readable } from 'node:stream'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { ListedPunch, PunchFilter, PunchQuery } from '../../store/punch-query.js'
import { hostTimeZone, isTimeZone } from '../../time-zone.js'
import { sendJson, type ApiError } from '../errors.js'
import { EXPORT_COLUMNS, exportRow, type ExportCell } from './export-columns.js'
import { csvLines } from './export-csv.js'
import { xlsxWorkbookOffThread } from './export-xlsx.js'
import { PUNCH_FILTER_PROPERTIES, refuseUnknownSite } from './punch-filter.js'
import type { PunchRouteParts } from './punch-routes.js'
import { ERROR, REFUSALS, SECURITY, TIME_ZONE } from './schemas.js'

/** Punches one XLSX export holds at most; the CSV export has no such bound. */
export const XLSX_MAX_ROWS = 50_000
/** XLSX exports built at once: each holds its rows and workbook in memory (docs/DESIGN-NOTES.md has the size). */
export const XLSX_EXPORTS_AT_ONCE = 2
const XLSX_RETRY_AFTER_S = 10
/** Punches read per step of an export; the event loop serves other requests between steps. */
const EXPORT_PAGE = 1000
/** Excel reads a CSV as UTF-8 only when it starts with the byte order mark; csv-parse takes it with `bom: true`. */
const UTF8_BOM = '\uFEFF'

type ExportQuery = PunchFilter & { tz?: string }

/** Every punch matching the filter, a page at a time, in id order. */
async function * matching (punches: PunchQuery, filter: PunchFilter): AsyncGenerator<ListedPunch[]> {
  let after: number | undefined
  for (;;) {
    const page = punches.page(filter, EXPORT_PAGE, after)
    if (page.punches.length > 0) yield page.punches
    if (page.next === undefined) return
    after = page.next
    await nextTurn()
  }
}

const EXPORT_SCHEMA = {
  tags: ['punches'],
  security: SECURITY,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { ...PUNCH_FILTER_PROPERTIES, tz: { ...TIME_ZONE, description: "the IANA zone of the local_time column; the gateway host's zone when absent" } }
  }
} as const

/** The zone of a request's tz, or a 400 sent (counted); undefined then. */
export function zoneOf (tz: string | undefined, reply: FastifyReply, refused: PunchRouteParts['refused']): string | undefined {
  if (tz === undefined) return hostTimeZone()
  if (isTimeZone(tz)) return tz
  refused('invalid_request')
  void sendJson(reply, 400, { error: 'bad_request', message: `querystring.tz: must be an IANA time zone the gateway knows ('Europe/Berlin', 'UTC'), not ${JSON.stringify(tz)}`, field: 'querystring.tz', rule: 'timeZone' } satisfies ApiError)
  return undefined
}

function attachment (reply: FastifyReply, type: string, file: string): FastifyReply {
  return reply.code(200).header('Cache-Control', 'no-store').header('Content-Disposition', `attachment; filename="${file}"`).type(type)
}

export function registerExportRoutes (app: FastifyInstance, parts: PunchRouteParts): void {
  let xlsxBuilding = 0
  app.get('/api/v1/punches.csv', {
    config: { roles: ['admin', 'hr'] },
    schema: {
      ...EXPORT_SCHEMA,
      summary: 'Every punch matching the filter of /api/v1/punches, as CSV (RFC 4180, UTF-8 with BOM, CRLF; formula-safe), streamed',
      response: { 200: { description: `CSV with the header ${EXPORT_COLUMNS.map(c => c.header).join(',')}`, type: 'string' }, ...REFUSALS }
    }
  }, async (req, reply) => {
    const { tz, ...filter } = req.query as ExportQuery
    if (refuseUnknownSite(filter, parts.sites, reply, parts.refused)) return await reply
    const zone = zoneOf(tz, reply, parts.refused)
    if (zone === undefined) return await reply
    async function * text (): AsyncGenerator<string> {
      yield UTF8_BOM + csvLines([EXPORT_COLUMNS.map(c => c.header)])
      for await (const page of matching(parts.punches, filter)) yield csvLines(page.map(p => exportRow(p, zone!)))
    }
    return await attachment(reply, 'text/csv; charset=utf-8', 'punches.csv').send(Readable.from(text()))
  })

  app.get('/api/v1/punches.xlsx', {
    config: { roles: ['admin', 'hr'] },
    schema: {
      ...EXPORT_SCHEMA,
      summary: `Every punch matching the filter of /api/v1/punches, as an XLSX workbook; at most ${XLSX_MAX_ROWS} punches (422 beyond: narrow the filter or take the CSV)`,
      response: {
        200: { description: 'an XLSX workbook, one sheet "punches"', type: 'string', format: 'binary' },
        ...REFUSALS,
        422: { description: `more than ${XLSX_MAX_ROWS} punches match`, ...ERROR },
        429: { description: `${XLSX_EXPORTS_AT_ONCE} XLSX exports are being built already: try again after Retry-After seconds`, ...ERROR }
      }
    }
  }, async (req, reply) => {
    const { tz, ...filter } = req.query as ExportQuery
    if (refuseUnknownSite(filter, parts.sites, reply, parts.refused)) return await reply
    const zone = zoneOf(tz, reply, parts.refused)
    if (zone === undefined) return await reply
    if (xlsxBuilding >= XLSX_EXPORTS_AT_ONCE) {
      parts.refused('export_busy')
      return await sendJson(reply.header('Retry-After', String(XLSX_RETRY_AFTER_S)), 429, { error: 'busy', message: `${XLSX_EXPORTS_AT_ONCE} XLSX exports are being built already: try again in ${XLSX_RETRY_AFTER_S} s, or take the CSV` } satisfies ApiError)
    }
    xlsxBuilding++
    try {
      const rows: ExportCell[][] = []
      for await (const page of matching(parts.punches, filter)) {
        if (rows.length + page.length > XLSX_MAX_ROWS) {
          parts.refused('too_many_rows')
          return await sendJson(reply, 422, { error: 'too_many_rows', message: `more than ${XLSX_MAX_ROWS} punches match: narrow the filter (from, to, site, device) or take /api/v1/punches.csv, which has no such bound` } satisfies ApiError)
        }
        for (const p of page) rows.push(exportRow(p, zone))
      }
      const workbook = await xlsxWorkbookOffThread(rows)
      return await attachment(reply, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'punches.xlsx').send(workbook)
    } finally {
      xlsxBuilding--
    }
  })
}
