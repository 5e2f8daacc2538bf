/**
 * The report's four charts as inline SVG: backlog and delivery over virtual time (with the fault windows
 * shaded and named), the lateness histogram, and flags by kind. Each series is a `<g class="series">`
 * named in `data-series`, each fault window carries `class="fault"`, so the document can be checked
 * without a browser.
 */
import type { FaultWindow, SimReportData, SimSample } from './types.js'
import { bucketLabel, count, duration, siteDateTime } from './format.js'
import { esc } from './markup.js'
import { bandPath, type Frame, linePath, n, niceTicks, open, plotHeight, scale, timeAxis, timeTicks, valueAxis } from './svg.js'

export interface LegendItem { label: string, color: string, style: 'line' | 'dash' | 'area' }
export interface Chart { svg: string, legend: LegendItem[] }

/** Okabe-Ito colours: told apart with the common colour-vision deficiencies, and in greyscale print by dash. */
export const COLOR = { blue: '#0072B2', orange: '#E69F00', vermillion: '#D55E00' }

interface Series {
  name: string
  color: string
  ys: number[]
  /** a band from `lower` up to `ys` (stacked) instead of a line */
  lower?: number[]
  dash?: boolean
}

interface TimeChartSpec {
  id: string
  title: string
  /** the run: its virtual start and end, and the site's offset for the time axis */
  data: SimReportData
  samples: SimSample[]
  series: Series[]
  faults: FaultWindow[]
}

const TIME_FRAME: Frame = { width: 640, height: 280, left: 52, right: 14, top: 36, bottom: 42 }
const LABEL_ROWS = 2
/** roughly the advance of one 11-unit character of the label font, to keep fault labels apart */
const CHAR_W = 6.4

function timeChart (c: TimeChartSpec): Chart {
  const f = TIME_FRAME
  const x = scale(c.data.startMs, c.data.endMs, f.left, f.width - f.right)
  const tz = c.data.tzMinutes ?? 0
  const top = Math.max(0, ...c.series.flatMap(s => s.ys))
  const ticks = niceTicks(top)
  const y = scale(0, ticks[ticks.length - 1], f.height - f.bottom, f.top)
  const xs = c.samples.map(s => x(s.at))
  const body = c.samples.length === 0
    ? `<text x="${n(f.width / 2)}" y="${n(f.top + plotHeight(f) / 2)}" text-anchor="middle" class="note">no samples</text>`
    : c.series.map(s => {
      const line = `<path d="${linePath(xs, s.ys.map(y))}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash === true ? ' stroke-dasharray="6 4"' : ''}/>`
      const band = s.lower === undefined ? '' : `<path d="${bandPath(xs, s.ys.map(y), s.lower.map(y))}" fill="${s.color}" fill-opacity="0.35" stroke="none"/>`
      return `<g class="series" data-series="${esc(s.name)}">${band}${line}</g>`
    }).join('')
  const svg = open(f, c.id, c.title) +
    valueAxis(f, ticks, y) + timeAxis(f, timeTicks(c.data.startMs, c.data.endMs, tz), x) +
    faultMarks(f, c.faults, x, tz) + body +
    `<line x1="${f.left}" x2="${f.width - f.right}" y1="${f.height - f.bottom}" y2="${f.height - f.bottom}" class="axis"/></svg>`
  return {
    svg,
    legend: c.series.map(s => ({ label: s.name, color: s.color, style: s.lower !== undefined ? 'area' : s.dash === true ? 'dash' : 'line' }))
  }
}

/**
 * Shaded windows (a dashed line for an instant fault) named above the plot. Labels go in the first row
 * where they do not overlap the one before; a window with no room for its label is still shaded, named in
 * its tooltip and listed in the report's fault table.
 */
function faultMarks (f: Frame, windows: FaultWindow[], x: (t: number) => number, tz: number): string {
  const lo = f.left
  const hi = f.width - f.right
  const clamp = (v: number): number => Math.min(hi, Math.max(lo, v))
  const rowEnd = new Array<number>(LABEL_ROWS).fill(-Infinity)
  let out = ''
  for (const w of windows) {
    const x0 = clamp(x(w.fromMs))
    const x1 = clamp(x(w.toMs))
    const name = w.label === undefined ? w.kind : `${w.kind} (${w.label})`
    const tip = `<title>${esc(name)}: ${esc(siteDateTime(w.fromMs, tz))}` +
      (w.toMs > w.fromMs ? ` → ${esc(siteDateTime(w.toMs, tz))} (${esc(duration(w.toMs - w.fromMs))})` : ' (instant)') + '</title>'
    out += w.toMs > w.fromMs
      ? `<rect class="fault" data-fault="${esc(w.kind)}" x="${n(x0)}" y="${f.top}" width="${n(Math.max(1.5, x1 - x0))}" height="${n(plotHeight(f))}">${tip}</rect>`
      : `<line class="fault instant" data-fault="${esc(w.kind)}" x1="${n(x0)}" x2="${n(x0)}" y1="${f.top}" y2="${f.height - f.bottom}">${tip}</line>`
    const labelX = Math.min(x0, hi - w.kind.length * CHAR_W)
    // Row 0 sits right above the plot; a label climbs only when the one below would overlap.
    const row = rowEnd.findIndex(end => end + 4 < labelX)
    if (row === -1) continue
    rowEnd[row] = labelX + w.kind.length * CHAR_W
    out += `<text class="fault-label" x="${n(labelX)}" y="${n(f.top - 6 - row * 13)}">${esc(w.kind)}</text>`
  }
  return out
}

export function backlogChart (data: SimReportData, samples: SimSample[], faults: FaultWindow[]): Chart {
  const dev = samples.map(s => s.pendingOnDevices)
  return timeChart({
    id: 'backlog',
    title: 'Backlog over virtual time: punches waiting on devices and at the gateway',
    data,
    samples,
    faults,
    series: [
      { name: 'on devices', color: COLOR.blue, ys: dev, lower: dev.map(() => 0) },
      { name: 'at the gateway', color: COLOR.orange, ys: samples.map(s => s.pendingOnDevices + s.pendingAtGateway), lower: dev }
    ]
  })
}

export function deliveryChart (data: SimReportData, samples: SimSample[], faults: FaultWindow[]): Chart {
  return timeChart({
    id: 'delivery',
    title: 'Punches generated and delivered upstream, cumulative, over virtual time',
    data,
    samples,
    faults,
    series: [
      { name: 'generated', color: COLOR.orange, ys: samples.map(s => s.generated), dash: true },
      { name: 'delivered', color: COLOR.blue, ys: samples.map(s => s.delivered) }
    ]
  })
}

/** Lateness buckets as vertical bars, each with its count written above it: small buckets stay readable. */
export function latenessChart (data: SimReportData): Chart {
  const f: Frame = { width: 640, height: 240, left: 52, right: 14, top: 22, bottom: 30 }
  const buckets = data.lateness
  const ticks = niceTicks(Math.max(0, ...buckets.map(b => b.count)))
  const y = scale(0, ticks[ticks.length - 1], f.height - f.bottom, f.top)
  const slot = (f.width - f.left - f.right) / Math.max(1, buckets.length)
  const bars = buckets.map((b, i) => {
    const label = bucketLabel(b.upToMs, buckets[i - 1]?.upToMs)
    const cx = f.left + slot * (i + 0.5)
    // A bucket of a few among thousands still shows as a sliver, not as nothing.
    const h = b.count === 0 ? 0 : Math.max(1.5, y(0) - y(b.count))
    return `<rect x="${n(cx - slot * 0.35)}" y="${n(y(0) - h)}" width="${n(slot * 0.7)}" height="${n(h)}" fill="${COLOR.blue}"><title>${esc(label)}: ${count(b.count)}</title></rect>` +
      `<text x="${n(cx)}" y="${n(y(0) - h - 5)}" text-anchor="middle" class="value">${count(b.count)}</text>` +
      `<text x="${n(cx)}" y="${n(f.height - f.bottom + 17)}" text-anchor="middle">${esc(label)}</text>`
  }).join('')
  const body = buckets.length === 0
    ? `<text x="${n(f.width / 2)}" y="${n(f.top + plotHeight(f) / 2)}" text-anchor="middle" class="note">no deliveries measured</text>`
    : `<g class="series" data-series="delivered punches">${bars}</g>`
  return {
    svg: open(f, 'lateness', 'Lateness of delivered punches: upstream receipt minus punch time') + valueAxis(f, ticks, y) + body + '</svg>',
    legend: []
  }
}

/** Flags as horizontal bars, most frequent first; the chart grows with the number of kinds. */
export function flagsChart (data: SimReportData): Chart {
  const flags = Object.entries(data.flags).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  const names = flags.map(([k]) => (k.length > 28 ? k.slice(0, 27) + '…' : k))
  const left = Math.min(200, Math.max(60, ...names.map(k => k.length * 7 + 12)))
  const row = 26
  const f: Frame = { width: 640, height: 16 + Math.max(1, flags.length) * row, left, right: 70, top: 8, bottom: 8 }
  const x = scale(0, Math.max(1, ...flags.map(([, v]) => v)), f.left, f.width - f.right)
  const bars = flags.map(([kind, v], i) => {
    const yb = f.top + i * row
    const w = v === 0 ? 0 : Math.max(1.5, x(v) - f.left)
    return `<text x="${f.left - 8}" y="${n(yb + row / 2 + 4)}" text-anchor="end">${esc(names[i])}</text>` +
      `<rect x="${f.left}" y="${n(yb + 4)}" width="${n(w)}" height="${row - 8}" fill="${COLOR.vermillion}"><title>${esc(kind)}: ${count(v)}</title></rect>` +
      `<text x="${n(f.left + w + 6)}" y="${n(yb + row / 2 + 4)}" class="value">${count(v)}</text>`
  }).join('')
  const body = flags.length === 0
    ? `<text x="${n(f.width / 2)}" y="${n(f.height / 2 + 4)}" text-anchor="middle" class="note">no flags raised</text>`
    : `<g class="series" data-series="flagged punches">${bars}</g>`
  return { svg: open(f, 'flags', 'Delivered punches by flag') + body + '</svg>', legend: [] }
}
