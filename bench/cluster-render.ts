/**
 * The cluster section's block of docs/BENCHMARKS.md (its heading and prose around it are written by hand),
 * rendered from its figures (cluster-figures.ts). Pure: no measuring and no clock, so figures read back from
 * a file render the same section. Every ratio is taken within a run, against that run's raw baseline, and
 * the median of those ratios is given.
 */
import type { ClusterCpu, ClusterFigures, ClusterRun } from './cluster-figures.js'
import { fixed, fmt, median } from './stats.js'

const list = (xs: number[]): string => xs.map(fmt).join(', ')
const ratioList = (xs: number[]): string => xs.map(x => fixed(x, 2)).join(', ')
const cores = (cpu: number | null, seconds: number): number => cpu === null ? NaN : cpu / seconds

/** the raw baseline a ratio is taken against: the largest transactions measured */
function baseline (f: ClusterFigures, r: ClusterRun): number {
  return r.raw[f.shape.rawBatches.length - 1]
}

/** µs of CPU per punch by process (medians over runs), and all of them together in cores */
function cpuText (loads: Array<{ cpu: ClusterCpu, punches: number, seconds: number }>, other: string): string {
  const us = (pick: (c: ClusterCpu) => number | null): string => fixed(median(loads.map(l => { const v = pick(l.cpu); return v === null ? NaN : v * 1e6 / l.punches })), 1)
  const total = median(loads.map(l => cores((l.cpu.nodes ?? NaN) + (l.cpu.postgres ?? NaN) + (l.cpu.other ?? NaN) + (l.cpu.client ?? NaN), l.seconds)))
  return `nodes ${us(c => c.nodes)}, PostgreSQL ${us(c => c.postgres)}, ${other} ${us(c => c.other)}, bench ${us(c => c.client)}; ${fixed(total, 2)} cores`
}

function loadText (f: ClusterFigures): string {
  return f.loadBefore === undefined || f.loadAfter === undefined ? '' : ` (1-minute load average ${fixed(f.loadBefore, 1)} before, ${fixed(f.loadAfter, 1)} after)`
}

export function renderCluster (f: ClusterFigures): string {
  const { shape, runs } = f
  const w = shape.ingest
  const big = shape.rawBatches[shape.rawBatches.length - 1]
  const rows: string[] = []
  shape.rawBatches.forEach((batch, k) => {
    const xs = runs.map(r => r.raw[k])
    rows.push(`| raw \`pg\`, one connection, ${fmt(batch)} rows per multi-row INSERT and transaction | ${fmt(median(xs))} rows/s | ${list(xs)} |`)
  })
  shape.nodes.forEach((n, k) => {
    const xs = runs.map(r => r.ingest[k].rate)
    const ratios = runs.map(r => r.ingest[k].rate / baseline(f, r))
    rows.push(`| ingest, ${n} node${n === 1 ? '' : 's'} | ${fmt(median(xs))} punches/s | ${list(xs)} |`)
    rows.push(`| **ratio** ingest ${n} / raw ${fmt(big)} | **${fixed(median(ratios), 2)}** | ${ratioList(ratios)} |`)
  })
  shape.nodes.forEach((n, k) => {
    const xs = runs.map(r => r.drain[k].rate)
    const ratios = runs.map(r => r.drain[k].rate / baseline(f, r))
    rows.push(`| drain, ${n} node${n === 1 ? '' : 's'} | ${fmt(median(xs))} punches/s | ${list(xs)} |`)
    rows.push(`| **ratio** drain ${n} / raw ${fmt(big)} | **${fixed(median(ratios), 2)}** | ${ratioList(ratios)} |`)
  })
  const where: string[] = []
  shape.nodes.forEach((n, k) => {
    const ing = runs.map(r => r.ingest[k])
    const dr = runs.map(r => r.drain[k])
    const perCommit = median(ing.map(i => i.commits === null || i.commits === 0 ? NaN : i.punches / i.commits))
    const syncs = median(ing.map(i => i.walSyncs === null ? NaN : i.walSyncs / i.seconds))
    const walMBs = median(ing.map(i => i.walMB === null ? NaN : i.walMB / i.seconds))
    where.push(`| ${n} | ${fmt(perCommit)} | ${fmt(median(ing.map(i => i.commits === null ? NaN : i.commits / i.seconds)))} | ${fmt(syncs)} | ${fixed(walMBs, 1)} | ${cpuText(ing, 'mosquitto')} | ${cpuText(dr, 'sink')} | ${fmt(median(dr.map(d => d.punches / d.requests)))} | ${fmt(median(dr.map(d => d.copies)))} |`)
  })
  return `Measured ${f.measuredAt.slice(0, 10)}, ${runs.length} ${runs.length === 1 ? 'run' : 'runs'}: PostgreSQL ${f.postgresVersion} and Mosquitto ${f.mosquittoVersion},
private to the bench, on the same 2-core machine as the nodes and the devices${loadText(f)}. Ratios are taken within each run
against that run's raw baseline of ${fmt(big)} rows a transaction, and their median is given.

| figure | median | runs |
|---|---:|---|
${rows.join('\n')}

Ingest: ${fmt(w.devices)} devices × ${fmt(w.batches)} batches of ${w.batchSize} punches, each device waiting for its ack before the next
batch (window 1), ${fmt(w.devices * w.batches * w.batchSize)} punches, counted when the ack arrives. Drain: ${fmt(shape.drainPunches)} punches
(${fmt(shape.drainPerDevice)} per device) committed into the shared outbox in one transaction, then delivered by the nodes
(\`forward.batchSize\` ${f.forward.batchSize}, \`forward.concurrency\` ${f.forward.concurrency} per node) to the webhook sink, counted from that commit until
the sink has the last punch.

Where the time went (medians over runs). CPU: µs of CPU per punch by process (PostgreSQL with its backends; bench: the
devices' clients), then all of them together in cores (CPU seconds over the wall seconds; the machine has 2):

| nodes | ingest: punches a commit | commits/s | WAL flushes/s | WAL MB/s | ingest CPU, µs a punch | drain CPU, µs a punch | drain: punches a request | drain: copies |
|---:|---:|---:|---:|---:|---|---|---:|---:|
${where.join('\n')}
`
}
