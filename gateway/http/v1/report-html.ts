/**
 * The health report as a page to print or save: the blocks of `punchline report`
 * (cli/report-text.ts, reportSections) as HTML tables, every text escaped (alarm messages carry device
 * ids and upstream error text), with its own print CSS and no external asset, so it renders the same on a
 * site LAN without internet and under a Content-Security-Policy that allows nothing else.
 */
import type { Alarm } from '../../alarms.js'
import type { HealthSnapshot } from '../../health.js'
import type { TransportSecurity } from '../../broker/transport-security.js'
import { reportSections, reportTitle, type ReportSection } from '../../cli/report-text.js'

/** Sent with the page: only its own inline style, nothing fetched, no script. */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, c => ESCAPES[c])
}

const STYLE = `
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #111; }
  h1 { font-size: 1.3em; } h2 { font-size: 1.05em; margin-top: 1.6em; border-bottom: 1px solid #999; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; vertical-align: top; padding: .25em .6em; border-bottom: 1px solid #ddd; }
  th { background: #eee; } td:last-child { overflow-wrap: anywhere; }
  .lines { white-space: pre-wrap; font-family: ui-monospace, monospace; margin: 0; }
  .critical td:first-child { color: #a00; font-weight: bold; }
  @media print {
    body { margin: 0; font-size: 10pt; } h2 { break-after: avoid; } tr { break-inside: avoid; }
    th { background: none; border-bottom: 2px solid #000; } @page { margin: 1.5cm; }
  }`

function sectionHtml (r: ReportSection): string {
  const title = `<h2>${escapeHtml(r.title)}</h2>`
  if ('lines' in r) return `${title}\n<p class="lines">${r.lines.map(escapeHtml).join('\n')}</p>`
  const head = `<tr>${r.head.map(h => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`
  const rows = r.rows.map(row => `<tr${row[0] === 'CRITICAL' ? ' class="critical"' : ''}>${row.map(c => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
  return `${title}\n<table>\n<thead>${head}</thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`
}

export function reportHtml (s: HealthSnapshot, alarms: readonly Alarm[], security: TransportSecurity): string {
  const title = escapeHtml(reportTitle(s))
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${STYLE}
</style>
</head>
<body>
<h1>${title}</h1>
${reportSections(s, alarms, security).map(sectionHtml).join('\n')}
</body>
</html>
`
}
