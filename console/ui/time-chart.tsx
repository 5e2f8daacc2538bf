/**
 * A time series chart drawn by uPlot: x in ms since the epoch (uPlot counts seconds), one line per series.
 * It follows its box's width, so it fits a phone as well as a desk screen.
 */
import { useEffect, useRef } from 'preact/hooks'
import UPlot from 'uplot'

export interface Series {
  label: string
  /** a CSS colour for the line */
  stroke: string
  values: Array<number | null>
}

const HEIGHT = 180

export function TimeChart ({ title, times, series }: { title: string, times: number[], series: Series[] }) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<UPlot | null>(null)

  useEffect(() => {
    const el = box.current!
    const opts: UPlot.Options = {
      title,
      width: Math.max(200, el.clientWidth),
      height: HEIGHT,
      series: [{}, ...series.map(s => ({ label: s.label, stroke: s.stroke, width: 2, points: { show: false } }))],
      axes: [{}, { size: 50 }],
      legend: { live: false }
    }
    const p = plot.current = new UPlot(opts, [times.map(t => t / 1000), ...series.map(s => s.values)], el)
    const resized = new ResizeObserver(() => p.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }))
    resized.observe(el)
    return () => { resized.disconnect(); p.destroy(); plot.current = null }
  }, [title, series.length])

  useEffect(() => {
    plot.current?.setData([times.map(t => t / 1000), ...series.map(s => s.values)])
  }, [times, series])

  return <div class='chart' ref={box} data-chart={title} />
}
