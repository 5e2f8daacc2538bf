/**
 * The health report of `punchline report` from the running gateway (every role): GET /api/v1/report, the
 * JSON of `punchline report --json` with the live alarms (their level, raise time and acknowledgement
 * added), and GET /api/v1/report.html, the same as a printable page (report-html.ts).
 */
import type { FastifyInstance } from 'fastify'
import type { HttpOptions } from '../options.js'
import { sendJson } from '../errors.js'
import { ANY_ROLE } from './access.js'
import { reportHtml, REPORT_CSP } from './report-html.js'
import { REFUSALS, SECURITY } from './schemas.js'

export function registerReportRoutes (app: FastifyInstance, report: HttpOptions['report']): void {
  app.get('/api/v1/report', {
    config: { roles: ANY_ROLE },
    schema: {
      summary: 'The health report (punchline report --json): devices, backlog, dead letters, flags, storage, backups, alarms, security',
      tags: ['report'],
      security: SECURITY,
      response: { 200: { description: 'the report, as JSON', type: 'object', required: ['at', 'gatewayId', 'devices', 'alarms', 'security'], additionalProperties: true }, ...REFUSALS }
    }
  }, async (_req, reply) => await sendJson(reply, 200, report()))

  app.get('/api/v1/report.html', {
    config: { roles: ANY_ROLE },
    schema: {
      summary: 'The health report as a printable HTML page (no script, no external asset)',
      tags: ['report'],
      security: SECURITY,
      response: { 200: { description: 'an HTML page', type: 'string' }, ...REFUSALS }
    }
  }, async (_req, reply) => {
    const r = report()
    return await reply.code(200).header('Cache-Control', 'no-store').header('Content-Security-Policy', REPORT_CSP)
      .header('X-Content-Type-Options', 'nosniff').type('text/html; charset=utf-8').send(reportHtml(r, r.alarms, r.security))
  })
}
