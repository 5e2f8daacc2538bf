/**
 * Samples made ready for charts: thinned to what a chart can show, and turned into fault windows when
 * the engine did not hand those over.
 */
import type { FaultWindow, SimSample } from './types.js'

/**
 * At most `max` samples, in time order, keeping the first and the last. Each stretch of samples keeps
 * the ones with the lowest and the highest backlog: a backlog peak (the thing the chart is for) survives
 * thinning, and so does the drain back to zero after it. Whole samples are kept, not values per series,
 * so every series is drawn at the same instants and a stacked chart stays consistent. The cumulative
 * counts rise monotonically, so any sample of a stretch draws them faithfully.
 */
export function downsample (samples: readonly SimSample[], max = 1000): SimSample[] {
  if (samples.length <= max) return [...samples]
  // Below 4 there is no room for a single stretch's low and high beside the first and the last.
  max = Math.max(4, max)
  const inner = samples.length - 2
  const buckets = Math.floor((max - 2) / 2)
  const out: SimSample[] = [samples[0]]
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor(b * inner / buckets)
    const to = 1 + Math.floor((b + 1) * inner / buckets)
    let lo = from
    let hi = from
    for (let i = from; i < to; i++) {
      const v = backlog(samples[i])
      if (v < backlog(samples[lo])) lo = i
      if (v > backlog(samples[hi])) hi = i
    }
    // A flat stretch has no peak to keep: its ends draw the cumulative lines as well as any two samples.
    if (lo === hi) { lo = from; hi = to - 1 }
    out.push(samples[Math.min(lo, hi)])
    if (lo !== hi) out.push(samples[Math.max(lo, hi)])
  }
  out.push(samples[samples.length - 1])
  return out
}

function backlog (s: SimSample): number { return s.pendingOnDevices + s.pendingAtGateway }

/**
 * Fault windows read off the samples: a kind is active from the first sample that names it to the first
 * that does not (or to the last sample). Faults that begin and end between two samples leave no trace
 * here, which is why the engine should pass the scenario's own windows when it has them.
 */
export function faultWindowsFromSamples (samples: readonly SimSample[]): FaultWindow[] {
  const open = new Map<string, number>()
  const out: FaultWindow[] = []
  for (const s of samples) {
    const now = new Set(s.faults)
    for (const [kind, fromMs] of open) {
      if (!now.has(kind)) { out.push({ kind, fromMs, toMs: s.at }); open.delete(kind) }
    }
    for (const kind of now) if (!open.has(kind)) open.set(kind, s.at)
  }
  const end = samples[samples.length - 1]?.at
  for (const [kind, fromMs] of open) out.push({ kind, fromMs, toMs: end ?? fromMs })
  return out.sort((a, b) => a.fromMs - b.fromMs || a.kind.localeCompare(b.kind))
}
