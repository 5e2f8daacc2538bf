/**
 * What the report's charts are drawn with: a plot frame, scales, tick choice (round numbers, site-local
 * clock times) and path text. Hand-written SVG rather than a chart library: four simple charts do not
 * justify a dependency, and the report must render with no script at all (in print, in a mail client).
 */
import { compact, siteClock, siteDay, siteDayNumber, TIME } from './format.js'
import { esc } from './markup.js'

/** The SVG's own coordinate space; the page scales it to the screen, so these are not pixels. */
export interface Frame {
  width: number
  height: number
  left: number
  right: number
  top: number
  bottom: number
}

export function plotHeight (f: Frame): number { return f.height - f.top - f.bottom }

/** A coordinate with one decimal at most: enough for any screen, and it keeps 1000-point paths short. */
export function n (v: number): string {
  return String(Math.round(v * 10) / 10)
}

/** A linear scale from [d0, d1] onto [r0, r1]; a zero-width domain maps to the middle of the range. */
export function scale (d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2
  const k = (r1 - r0) / (d1 - d0)
  return (v) => r0 + (v - d0) * k
}

/** 0 and round steps (1, 2, 5 × 10^k) up to at least `max`: about `target` ticks. */
export function niceTicks (max: number, target = 5): number[] {
  if (!(max > 0)) return [0, 1]
  const raw = max / target
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map(m => m * mag).find(s => s >= raw) ?? 10 * mag
  const ticks: number[] = []
  for (let v = 0; v < max + step; v += step) {
    ticks.push(Number(v.toPrecision(12)))
    if (v >= max) break
  }
  return ticks
}

export interface TimeTick {
  at: number
  /** clock time, or the day when ticks are a day or more apart */
  label: string
  /** the day under the clock time, on the first tick and wherever the day changes */
  day?: string
}

const S = 1000
const { MINUTE: M, HOUR: H, DAY: D } = TIME
const STEPS = [S, 2 * S, 5 * S, 10 * S, 15 * S, 30 * S, M, 2 * M, 5 * M, 10 * M, 15 * M, 30 * M, H, 2 * H, 3 * H, 6 * H, 12 * H]
const DAY_STEPS = [1, 2, 7, 14, 28, 56, 91, 182, 364]

/**
 * Ticks at round site-local times ("06:00", "12:00"), with the day named where it changes, or at local
 * midnights ("Tue 24 Nov") once the span is long enough to need a day or more between ticks.
 */
export function timeTicks (from: number, to: number, tzMinutes: number, target = 7): TimeTick[] {
  const span = to - from
  if (!(span > 0)) return [{ at: from, label: siteClock(from, tzMinutes), day: siteDay(from, tzMinutes) }]
  const off = tzMinutes * M
  const step = STEPS.find(s => span / s <= target)
  if (step === undefined) {
    // Fewer ticks when each is a day name: "Tue 24 Nov" is twice as wide as "14:30".
    const days = DAY_STEPS.find(d => span / (d * D) <= target - 1) ?? Math.ceil(span / D / (target - 1))
    const out: TimeTick[] = []
    for (let t = Math.ceil((from + off) / D) * D - off; t <= to; t += days * D) out.push({ at: t, label: siteDay(t, tzMinutes) })
    return out
  }
  const out: TimeTick[] = []
  let lastDay: number | undefined
  for (let t = Math.ceil((from + off) / step) * step - off; t <= to; t += step) {
    const dayNo = siteDayNumber(t, tzMinutes)
    out.push({ at: t, label: siteClock(t, tzMinutes, step < M), day: dayNo === lastDay ? undefined : siteDay(t, tzMinutes) })
    lastDay = dayNo
  }
  return out
}

/** half the width of the widest tick label ("Tue 24 Nov") */
const EDGE = 32

/** Grid lines and labels of a time axis along the bottom of the frame. */
export function timeAxis (f: Frame, ticks: TimeTick[], x: (t: number) => number): string {
  const base = f.height - f.bottom
  return ticks.map(t => {
    const xv = x(t.at)
    const xt = n(xv)
    // A label centred on a tick at the very edge would be cut off by the viewBox: it leans inwards instead.
    const anchor = xv > f.width - f.right - EDGE ? 'end' : xv < f.left + EDGE ? 'start' : 'middle'
    const day = t.day === undefined ? '' : `<text x="${xt}" y="${n(base + 30)}" text-anchor="${anchor}" class="day">${esc(t.day)}</text>`
    return `<line x1="${xt}" x2="${xt}" y1="${f.top}" y2="${base}" class="grid"/>` +
      `<text x="${xt}" y="${n(base + 15)}" text-anchor="${anchor}">${esc(t.label)}</text>${day}`
  }).join('')
}

/** Horizontal grid lines and compact labels ("1.2k") of a value axis on the left. */
export function valueAxis (f: Frame, ticks: number[], y: (v: number) => number): string {
  return ticks.map(v => {
    const yv = n(y(v))
    return `<line x1="${f.left}" x2="${f.width - f.right}" y1="${yv}" y2="${yv}" class="grid"/>` +
      `<text x="${f.left - 6}" y="${n(y(v) + 4)}" text-anchor="end">${compact(v)}</text>`
  }).join('')
}

/** "M x y L x y ...": a polyline through the points. */
export function linePath (xs: number[], ys: number[]): string {
  let d = ''
  for (let i = 0; i < xs.length; i++) d += `${i === 0 ? 'M' : 'L'}${n(xs[i])} ${n(ys[i])}`
  return d
}

/** A closed band between an upper and a lower line over the same xs (a stacked area). */
export function bandPath (xs: number[], upper: number[], lower: number[]): string {
  let d = linePath(xs, upper)
  for (let i = xs.length - 1; i >= 0; i--) d += `L${n(xs[i])} ${n(lower[i])}`
  return d + 'Z'
}

/** The opening tag of a chart: scalable, with an accessible name. */
export function open (f: Frame, id: string, title: string): string {
  return `<svg viewBox="0 0 ${f.width} ${f.height}" role="img" aria-labelledby="${id}-t" id="${id}" preserveAspectRatio="xMidYMid meet">` +
    `<title id="${id}-t">${esc(title)}</title>`
}
