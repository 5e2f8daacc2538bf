/**
 * The table of "Online latency, punch → upstream" (docs/BENCHMARKS.md) from its figures (bench/latency.ts):
 * each run's p50 and p99, their medians over runs, against the raw MQTT round trip measured in the same
 * runs, and which part of the path dominates. Pure.
 */
import type { LatencyFigures, LatencyRun } from './latency.js'
import { fixed, median } from './stats.js'

/** p99 target for punch → upstream while online (issue 6) */
export const TARGET_P99_MS = 250
/** p99 target for punch → the console's live view (issue 16: "a punch at a terminal shows within a second") */
export const TARGET_EVENT_P99_MS = 1000
/** a forwarder p99 past this many lingers means its timers fired late */
const LATE_TIMERS_LINGERS = 1.5

export function renderLatency (f: LatencyFigures): string {
  const { runs, shape } = f
  const m = (pick: (r: LatencyRun) => number): number => median(runs.map(pick))
  const ms = (n: number, digits = 1): string => `${fixed(n, digits)} ms`
  const list = (pick: (r: LatencyRun) => number, digits = 1): string => runs.map(r => fixed(pick(r), digits)).join(', ')
  const sinkP50 = m(r => r.toSink.p50)
  const sinkP99 = m(r => r.toSink.p99)
  const ackP50 = m(r => r.toAck.p50)
  const fwdP50 = m(r => r.forwarder.p50)
  const fwdP99 = m(r => r.forwarder.p99)
  const rate = shape.devices * 1000 / shape.intervalMs
  const lateTimers = f.lingerMs > 0 && fwdP99 > LATE_TIMERS_LINGERS * f.lingerMs
  return `${shape.devices} devices, each taking one punch every ${shape.intervalMs / 1000} s (${fixed(rate, 0)} punches/s in all); ${shape.seconds} s measured per run after a
${f.warmupMs / 1000} s warm-up; \`forward.lingerMs\` ${f.lingerMs}${shape.lingerMs === undefined ? ' (the default)' : ' (`BENCH_LATENCY_LINGER_MS`)'}, \`forward.batchSize\` ${f.forwardBatch}.

| figure | median p50 | median p99 | runs (p99) |
|---|---:|---:|---|
| baseline: raw MQTT round trip, publish QoS 1 → PUBACK, broker alone | ${ms(m(r => r.rtt.p50), 2)} | ${ms(m(r => r.rtt.p99), 2)} | ${list(r => r.rtt.p99, 2)} |
| ring append of the punch, durable on return | ${ms(m(r => r.append.p50), 2)} | ${ms(m(r => r.append.p99), 2)} | ${list(r => r.append.p99, 2)} |
| punch → the gateway's ack back at the device (append, publish, group commit, ack) | ${ms(ackP50)} | ${ms(m(r => r.toAck.p99))} | ${list(r => r.toAck.p99)} |
${liveRow(f)}| gateway's \`received\` stamp → arrival at the sink (the forwarder; ms clock) | ${ms(fwdP50, 0)} | ${ms(fwdP99, 0)} | ${list(r => r.forwarder.p99, 0)} |
| **punch → upstream sink** (target p99 < ${TARGET_P99_MS} ms) | **${ms(sinkP50)}** | **${ms(sinkP99)}** | ${list(r => r.toSink.p99)} |
| ratio punch → upstream / raw MQTT round trip | ${fixed(sinkP50 / m(r => r.rtt.p50), 0)} × | ${fixed(sinkP99 / m(r => r.rtt.p99), 0)} × | |
| p99 against the target | | ${fixed(sinkP99 / TARGET_P99_MS, 2)} of ${TARGET_P99_MS} ms ${sinkP99 < TARGET_P99_MS ? '(met)' : '(**missed**)'} | |

Upstream requests held ${fixed(m(r => r.perRequest), 1)} punches on average (median over runs).
What dominates: ${fwdP50 > ackP50
    ? 'the forwarder\'s batching delay, not the device, MQTT or the group commit (the forwarder\'s row against the ack\'s).'
    : 'the path to the gateway\'s commit (ring append, publish, group commit with its fsync, ack), more than the forwarder.'}${lateTimers
    ? ` The forwarder's p99 is past the linger: its timers fired late, the gateway's event loop or the machine was busy (the raw
MQTT round trip's p99 in the same runs says how busy), so this p99 is the machine's as much as the gateway's.`
    : ''}
`
}

/** The live-event row, for figures that have it (measured since the console's live events). */
function liveRow (f: LatencyFigures): string {
  const runs = f.runs.flatMap(r => r.toEvent === undefined ? [] : [r.toEvent])
  if (runs.length === 0) return ''
  const p99 = median(runs.map(q => q.p99))
  return `| punch → its \`punch\` event on GET /api/v1/events, what the console shows live (target p99 < ${TARGET_EVENT_P99_MS} ms) | ${fixed(median(runs.map(q => q.p50)), 1)} ms | ${fixed(p99, 1)} ms ${p99 < TARGET_EVENT_P99_MS ? '(met)' : '(**missed**)'} | ${runs.map(q => fixed(q.p99, 1)).join(', ')} |
`
}
