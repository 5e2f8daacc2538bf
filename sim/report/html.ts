/**
 * The simulation report as one self-contained HTML file: verdict first, then what became of every punch,
 * the scenario's checks, and the charts. Nothing is fetched (no script, font, stylesheet or image from
 * anywhere), so the file can be mailed, attached to a ticket, opened offline or printed, and shows the
 * same thing years later.
 */
import type { FaultWindow, SimReportData } from './types.js'
import { duplicateRows, fateRows, type Row, verdict } from './accounting.js'
import { backlogChart, type Chart, deliveryChart, flagsChart, latenessChart } from './charts.js'
import { compact, count, duration, percent, siteDateTime, utcOffset } from './format.js'
import { esc } from './markup.js'
import { downsample, faultWindowsFromSamples } from './series.js'

/** Samples drawn per chart; more adds bytes and nothing a 640-unit-wide chart can show. */
export const MAX_POINTS = 1000
/** ids listed at the end; the ledger keeps a few hundred */
const IDS_LISTED = 200

export function renderHtmlReport (data: SimReportData): string {
  const tz = data.tzMinutes ?? 0
  const v = verdict(data)
  // Windows come from the full samples: thinned ones could skip a short fault entirely.
  const faults = data.faultWindows ?? faultWindowsFromSamples(data.samples)
  const samples = downsample(data.samples, MAX_POINTS)
  const span = data.endMs - data.startMs
  const speed = data.realMs > 0 ? ` (${compact(span / data.realMs)}× real time)` : ''
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`punchline sim: ${data.scenario} (${v.ok ? 'OK' : 'FAIL'})`)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<p class="kicker">punchline sim report</p>
<h1>${esc(data.scenario)}</h1>
${data.description === '' ? '' : `<p class="desc">${esc(data.description)}</p>`}
<p class="facts">seed ${esc(data.seed)} · ${count(data.sites)} ${data.sites === 1 ? 'site' : 'sites'} · ${count(data.devices)} ${data.devices === 1 ? 'device' : 'devices'}<br>
virtual ${esc(siteDateTime(data.startMs, tz))} → ${esc(siteDateTime(data.endMs, tz))} ${esc(utcOffset(tz))}, ${esc(duration(span))} in ${esc(duration(data.realMs))} real${esc(speed)}</p>
</header>
<p class="verdict ${v.ok ? 'ok' : 'fail'}" role="status">${esc(v.text)}</p>
<section>
<h2>What became of every punch</h2>
<div class="cols">
${rowsTable(fateRows(data.fates), ['fate', 'punches', '% of generated'], data.fates.generated)}
${rowsTable(duplicateRows(data.fates), ['upstream', 'punches'])}
</div>
</section>
<section>
<h2>Scenario checks</h2>
${checksTable(data)}
</section>
<section>
<h2>Backlog over virtual time</h2>
${figure(backlogChart(data, samples, faults), `Punches waiting, stacked: on devices (not yet acknowledged) and at the gateway (not yet delivered upstream). Shaded: faults. Times ${utcOffset(tz)}.`)}
${faultTable(faults, tz, data.faultWindows === undefined)}
</section>
<section>
<h2>Generated and delivered</h2>
${figure(deliveryChart(data, samples, faults), `Cumulative punches over virtual time; the gap between the lines is what has not (yet) been delivered. Times ${utcOffset(tz)}.`)}
</section>
<section>
<h2>Lateness</h2>
${figure(latenessChart(data), `Delivered punches by how long after the punch the upstream received them (${count(data.lateness.reduce((s, b) => s + b.count, 0))} measured).`)}
</section>
<section>
<h2>Flags</h2>
${figure(flagsChart(data), `Delivered punches by flag; ${count(data.fates.deliveredFlagged)} carried at least one.`)}
</section>
${idsSection(data)}
<footer>${count(data.samples.length)} samples${samples.length < data.samples.length ? `, ${count(samples.length)} drawn (the lowest and highest backlog of each stretch kept)` : ''}.</footer>
</body>
</html>
`
}

function figure (c: Chart, caption: string): string {
  const legend = c.legend.length === 0
    ? ''
    : `<ul class="legend">${c.legend.map(l => `<li><span class="sw ${l.style}" style="border-color:${l.color}"></span>${esc(l.label)}</li>`).join('')}</ul>`
  return `<figure>${legend}<div class="chart">${c.svg}</div><figcaption>${esc(caption)}</figcaption></figure>`
}

function rowsTable (rows: Row[], head: string[], of?: number): string {
  const body = rows.map(r => {
    const cls = [r.sub === true ? 'sub' : '', r.bad === true && r.value > 0 ? 'bad' : ''].filter(c => c !== '').join(' ')
    const pct = of === undefined ? '' : `<td class="num">${esc(percent(r.value, of))}</td>`
    return `<tr${cls === '' ? '' : ` class="${cls}"`}><td>${esc(r.label)}</td><td class="num">${count(r.value)}</td>${pct}</tr>`
  }).join('\n')
  return `<table><thead><tr>${head.map((h, i) => `<th${i > 0 ? ' class="num"' : ''}>${esc(h)}</th>`).join('')}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`
}

function checksTable (data: SimReportData): string {
  if (data.checks.length === 0) return '<p class="note">The scenario expects no particular counts.</p>'
  const cell = (x: number | string): string => esc(typeof x === 'number' ? count(x) : x)
  const body = data.checks.map(c =>
    `<tr${c.ok ? '' : ' class="bad"'}><td>${esc(c.what)}</td><td class="num">${cell(c.expected)}</td><td class="num">${cell(c.actual)}</td><td>${c.ok ? 'ok' : 'FAIL'}</td></tr>`
  ).join('\n')
  return `<table><thead><tr><th>check</th><th class="num">expected</th><th class="num">actual</th><th>ok</th></tr></thead>\n<tbody>\n${body}\n</tbody></table>`
}

function faultTable (faults: FaultWindow[], tz: number, derived: boolean): string {
  if (faults.length === 0) return '<p class="note">No faults were active.</p>'
  const body = faults.map(w =>
    `<tr><td>${esc(w.kind)}</td><td>${esc(w.label ?? '')}</td><td>${esc(siteDateTime(w.fromMs, tz))}</td>` +
    `<td>${w.toMs > w.fromMs ? esc(siteDateTime(w.toMs, tz)) : ''}</td><td class="num">${w.toMs > w.fromMs ? esc(duration(w.toMs - w.fromMs)) : 'instant'}</td></tr>`
  ).join('\n')
  const note = derived ? '<p class="note">Windows read from the samples: a fault shorter than a sampling step may be missing.</p>' : ''
  return `<div class="scroll"><table class="faults"><thead><tr><th>fault</th><th>where</th><th>from</th><th>to</th><th class="num">for</th></tr></thead>\n<tbody>\n${body}\n</tbody></table></div>${note}`
}

function idsSection (data: SimReportData): string {
  if (data.unexplainedIds.length === 0) return ''
  const shown = data.unexplainedIds.slice(0, IDS_LISTED)
  const of = data.unexplainedIds.length > shown.length ? ` (first ${shown.length} of ${count(data.unexplainedIds.length)})` : ''
  return `<section>\n<h2>Unexplained or duplicated punch ids${esc(of)}</h2>\n<p class="ids">${shown.map(esc).join(', ')}</p>\n</section>`
}

const CSS = `
:root{--ok:#0a6b2c;--fail:#b00020;--line:#d9d9d9}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;max-width:960px;margin:0 auto;padding:16px}
h1{font-size:1.6rem;margin:.1rem 0 .3rem;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin:1.6rem 0 .5rem}
.kicker{margin:0;color:#666;text-transform:uppercase;letter-spacing:.06em;font-size:.8rem}
.desc{margin:.2rem 0;overflow-wrap:anywhere}
.facts{color:#444;margin:.3rem 0 1rem}
.verdict{font-size:1.25rem;font-weight:700;padding:12px 16px;border:2px solid;border-radius:6px;overflow-wrap:anywhere}
.verdict.ok{color:var(--ok);background:#e7f4eb}
.verdict.fail{color:var(--fail);background:#fdecee}
.cols{display:flex;flex-wrap:wrap;gap:8px 32px;align-items:flex-start}
.cols table{flex:1 1 300px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;max-width:100%}
th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;border-bottom-color:#999}
.num{text-align:right}
tr.sub td:first-child{padding-left:28px;color:#444}
tr.bad td{color:var(--fail);font-weight:700}
.scroll{overflow-x:auto}
.note{color:#555;font-size:.9rem}
figure{margin:0}
figcaption{color:#555;font-size:.9rem;margin-top:4px}
.chart{overflow-x:auto}
.chart svg{display:block;width:100%;height:auto;min-width:440px}
svg text{font-size:11px;fill:#333;font-family:inherit}
svg .day{fill:#666}
svg .note{font-size:14px;fill:#666}
svg .value{fill:#222}
svg .grid{stroke:#e6e6e6}
svg .axis{stroke:#888}
svg .fault{fill:#777;fill-opacity:.16;stroke:none}
svg line.fault{stroke:#555;stroke-width:1.5;stroke-dasharray:4 3}
svg .fault-label{fill:#333;font-style:italic}
.legend{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;gap:4px 18px;font-size:.9rem}
.sw{display:inline-block;width:24px;margin-right:6px;vertical-align:middle;border-top:3px solid}
.sw.dash{border-top-style:dashed}
.sw.area{border-top-width:10px;opacity:.6}
.ids{font:12px/1.5 ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere}
footer{margin-top:2rem;color:#777;font-size:.8rem}
@media (max-width:520px){body{padding:10px;font-size:14px}th,td{padding:3px 5px}.verdict{font-size:1.1rem}}
@media print{body{max-width:none;padding:0;font-size:10.5pt}
section,figure,table,.verdict{break-inside:avoid}
.chart svg{min-width:0}
.verdict,svg,.sw{print-color-adjust:exact;-webkit-print-color-adjust:exact}}
`
