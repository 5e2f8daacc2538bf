/**
 * The drain's block of docs/BENCHMARKS.md (under its hand-written heading), rendered from its figures
 * (bench/drain-figures.ts) and what they say (bench/drain-analysis.ts): the table, the median run's
 * timeline, and the prose that turns on the verdicts. No measuring and no clock here, so figures read back
 * from docs/bench/drain.json render the same block.
 */
import { analyseDrain, MB, TARGET_RSS_MB, TARGET_SECONDS, type Series, type TimelineRow } from './drain-analysis.js'
import type { DrainFigures } from './drain-figures.js'
import { fixed, fmt } from './stats.js'

const s = (n: number): string => `${fixed(n, 1)} s`
const mb = (n: number): string => `${fmt(n / MB)} MB`
const pct = (n: number): string => `${Math.round(100 * n)} %`
const us = (cpu: number, n: number): string => `${fixed(cpu * 1e6 / n, 1)} µs`
const list = (x: Series): string => x.runs.map(v => fixed(v, 1)).join(', ')
const mbList = (x: Series): string => x.runs.map(v => fmt(v / MB)).join(', ')
const timelineRow = (x: TimelineRow): string => `| ${fixed(x.t, 0)} s | ${fmt(x.online)} | ${fmt(x.acked)} | ${fmt(x.delivered)} | ${Math.round(100 * x.cpuShare)} % |`

/** mqtt.readBytesPerTurn at or above this is off */
const GIB = 1024 * 1024 * 1024

export function renderDrain (figures: DrainFigures): string {
  const { shape, setting, outcome, accept } = figures
  const total = shape.devices * shape.punches
  const head = `${fmt(shape.devices)} devices × ${fmt(shape.punches)} punches.

`
  if ('skipped' in outcome) return head + `Skipped: ${outcome.skipped}\n`
  const failed = outcome.failed === undefined ? '' : `\n**A run failed**: ${outcome.failed}\n`
  const a = analyseDrain(figures)
  if (a === undefined) return head + failed
  const { table, medianRun: d, connects: c, cpu, verdicts: v } = a
  const delivered = table.deliveredS.median
  const peak = table.drainPeakRss.median
  const idlePeak = table.idlePeakRss.median
  const startRss = table.idleStartRss
  return head + `| figure | median | runs |
|---|---:|---|
| raw better-sqlite3, WAL + synchronous=FULL, the same ${fmt(total)} rows in transactions of ${fmt(setting.rawTxnRows)} | ${s(table.rawS.median)} | ${list(table.rawS)} |
| the same devices with empty rings, ${setting.idleConnecting} connecting at once: every one online | ${s(table.idleOnlineS.median)} | ${list(table.idleOnlineS)} |
| gateway with no upstream: every punch stored and acked at its device | ${s(table.storedAckedS.median)} | ${list(table.storedAckedS)} |
| **drain: every punch at the upstream** (target ≤ ${TARGET_SECONDS} s) | **${s(delivered)}** | ${list(table.deliveredS)} |
| in the drain runs: every device online | ${s(table.drainOnlineS.median)} | ${list(table.drainOnlineS)} |
| in the drain runs: every punch stored and acked | ${s(table.drainAckedS.median)} | ${list(table.drainAckedS)} |
| **gateway peak RSS** (VmHWM) in the drain (target < ${TARGET_RSS_MB} MB) | **${mb(peak)}** | ${mbList(table.drainPeakRss)} |
| gateway peak RSS, no upstream | ${mb(table.storedPeakRss.median)} | ${mbList(table.storedPeakRss)} |
| gateway peak RSS, ${fmt(shape.devices)} idle connections (started at ${mb(startRss)}) | ${mb(idlePeak)} | ${mbList(table.idlePeakRss)} |
| **ratio** drain / raw inserts of the same rows | **${fixed(a.ratios.toRaw, 2)}** | |
| ratio drain / no upstream | ${fixed(a.ratios.toStored, 2)} | |
| against the targets | ${fixed(a.ratios.toTargetSeconds, 2)} of ${TARGET_SECONDS} s ${a.ratios.secondsMet ? '(met)' : '(**missed**)'}; ${fixed(a.ratios.toTargetRss, 2)} of ${TARGET_RSS_MB} MB ${a.ratios.rssMet ? '(met)' : '(**missed**)'} | |
${failed}
${a.runs === 1 ? 'One run' : `Medians of ${a.runs} runs`} (\`BENCH_DRAIN_RUNS\`; a run takes minutes); each run measures the rows above one after the other.
Three processes: the devices in the bench process, the gateway in a child (\`punchline gateway --allow-anonymous --upstream URL\`,
every setting at its default: \`forward.batchSize\` ${setting.forward.batchSize}, \`lingerMs\` ${setting.forward.lingerMs}, \`concurrency\` ${setting.forward.concurrency}${shape.forwardBatch === undefined ? '' : `; here \`forward.batchSize\` ${shape.forwardBatch}`}), and the upstream, an HTTP sink
in a child of its own (\`bench/sink-child.ts\`: \`fakes/upstream/webhook-upstream.ts\` answering 200 at once, counting every punch id
once), so that parsing ${fmt(total)} punches neither runs on the gateway's core nor waits behind ${fmt(shape.devices)} devices'
work in the bench process; on 2 cores the sink shares the bench's. Each device is the device's real uplink with its
defaults (batches of 100, 4 in flight, backoff 0.5 to 10 s, a CONNACK awaited ${c.connackTimeoutS} s${shape.connackTimeoutMs === undefined ? '' : ' (`BENCH_DRAIN_CONNACK_TIMEOUT_MS`)'}) over the light MQTT client of the
simulator (\`bench/lite-fleet.ts\`), with a memory ring holding its ${fmt(shape.punches)} punches. "At once" is what a site coming
back from an outage does: every device's next try falls at a random point within its backoff cap, so the first connects
are spread over ${fmt(shape.windowMs / 1000)} s${shape.maxConnecting === undefined ? ', with no bound on how many connect at once' : `, at most ${shape.maxConnecting} connecting at once`}. A device that gets no CONNACK in time closes and tries again
after its backoff. The drain is timed from the first connect until the sink has every punch; every run checks that the
gateway stored each punch once and that its outbox is empty. Measured by \`bench/drain.ts\`; alone:
\`BENCH_ONLY=drain npm run bench\` (prints the section instead of rewriting this file). Needs \`ulimit -n\` ${fmt(shape.devices + 200)}.

The median run (${s(d.deliveredS)}), every ${d.step} s: devices online, punches acked at the devices, punches at the
upstream, and the gateway's CPU over the interval (100 % = one core).

| time | online | acked | at the upstream | gateway CPU |
|---:|---:|---:|---:|---:|
${d.timeline.map(timelineRow).join('\n')}

**What limits it.** ${v.wastedConnects || v.upstreamKeptUp
    ? 'Connections.'
    : `Forwarding while the devices still send. ${fmt(d.phases.before)} of the ${fmt(d.requests)} upstream requests went before the last punch was
acked, at ${s(d.ackedS)}, and the rest in the ${s(d.deliveredS - d.ackedS)} after: while ingest keeps the event loop busy, the forwarder
(which reads each batch back and builds its request there) gets what is left of it. Connections cost little this time.`} ${fmt(shape.devices)} devices made ${fmt(c.drainAttempts)} connection attempts in the drain
(${fmt(c.storedAttempts)} with no upstream); ${fmt(c.drainFailed)} got no CONNACK within the device's ${c.connackTimeoutS} s (median CONNACK ${s(c.connackP50)},
p99 ${s(c.connackP99)}). ${v.pacedByConnects
    ? `The drain ended ${s(delivered - table.drainOnlineS.median)} after the last device came online: devices came online at the pace the
gateway took their punches, and each one emptied its ring within moments of its CONNACK.`
    : `The last device was online at ${s(table.drainOnlineS.median)}, the last punch at the upstream at ${s(delivered)}.`} The same devices with empty rings, ${setting.idleConnecting} connecting at once, were all online
in ${s(table.idleOnlineS.median)} with ${fmt(c.idleFailed)} failed attempts and ${fixed(c.idleMsPerConnect, 1)} ms of gateway CPU per connection.
A Node server takes connections one per turn of its event loop${accept === undefined
? ''
: ` (measured here: with ${accept.waiting} connections waiting, a turn of
this Node's loop accepted ${accept.firstTurn})`}: libuv ${setting.libuv}, Node's I/O layer, accepts one connection each time the
listening socket is reported ready, and a busy loop polls once per turn. Under the drain a turn is long: it reads the publishes of every connected device,
then commits them (one group commit, one fsync) and forwards. Connections wait in the kernel's accept queue (511, Node's
default backlog) and past it in SYN retransmits.${v.wastedConnects
    ? ` Those waiting past the device's CONNACK timeout are given up by the device, yet the gateway still accepts
them later and spends a turn's slot and the work of a connect on each, which pushes the live ones further back: a herd
admitted at a fraction of the gateway's own connect rate (\`BENCH_DRAIN_CONNACK_TIMEOUT_MS\` runs it with devices that wait longer).`
    : ''}${setting.acceptsPerTurn !== undefined && setting.readBytesPerTurn !== undefined && setting.acceptsPerTurn <= 1 && setting.readBytesPerTurn >= GIB
    ? ` The gateway can listen on several descriptors of its socket (\`mqtt.acceptsPerTurn\`) and bound what it reads per turn
(\`mqtt.readBytesPerTurn\`), both off by default: measured, they lost at 10,000 devices (docs/DESIGN-NOTES.md, "Admission: a bound
on connections being set up").`
    : setting.acceptsPerTurn === undefined || setting.readBytesPerTurn === undefined
    ? ` What would admit a herd faster is a shorter turn: the commits and the forwarder's reads on a thread of
their own (better-sqlite3 is synchronous, so today each commit's fsync holds the loop), or several listening sockets
sharing the port (SO_REUSEPORT, \`reusePort\` from Node 22.12), each accepting once per turn. Neither is done yet.`
    : ` Hence the gateway listens on ${setting.acceptsPerTurn} descriptors of its socket (\`mqtt.acceptsPerTurn\`), each accepting once per
turn, and reads at most about ${fmt(setting.readBytesPerTurn / 1024)} KiB from connected devices per turn (\`mqtt.readBytesPerTurn\`), so that a turn stays short
while backlogs are read (docs/DESIGN-NOTES.md, "Admission: a bound on connections being set up").`}

CPU and the disk. The gateway used ${s(cpu.gateway)} of CPU in the drain, and was on a core ${pct(cpu.gateway / delivered)} of the time${cpu.gateway / delivered > 1
    ? ' (its threads together)'
    : `; the rest of the
time its one thread was blocked in fsyncs or waiting for a core (on a shared machine: see the load average above)`}: ${fmt(cpu.commits)} group commits (${fmt(cpu.rowsPerCommit)} rows each on average; with no upstream
${fmt(cpu.storedCommits)} of ${fmt(cpu.storedRowsPerCommit)}), one fsync each. The forwarder's batches are formed in those commits (claimed ahead,
up to 64 due), or once they stop in a synced transaction of its own for up to 64; recording a delivery skips the fsync and rides on the next synced commit
(${fmt(cpu.requests)} upstream requests). At the idle run's ${fixed(c.cpuPerConnect * 1000, 2)} ms per connection, the
${fmt(c.drainAttempts)} attempts account for about ${s(c.cpuPerConnect * c.drainAttempts)} of the CPU; what is left, ${us(cpu.drainPunches, total)} per punch, is the work
on the punches: ${us(cpu.storedPunches, total)} to decode, flag, store and ack (the no-upstream run, counted the same way) and ${us(cpu.drainPunches - cpu.storedPunches, total)} to
forward (form the batch, read its rows back, build the upstream JSON, one HTTP request per batch). With one attempt per device that
is ${s(cpu.floor)} of CPU${v.floorOverTarget
    ? cpu.gateway / delivered > 1
      ? `, more than the ${TARGET_SECONDS} s target on one core; the commit thread and the checkpointer carry part of it on the
second core (the gateway was on a core ${pct(cpu.gateway / delivered)} of the time), and what the event loop keeps (sockets, decoding, acks, the
forwarder) is what is left to move`
      : ` on one core, more than the ${TARGET_SECONDS} s target before any fsync or wait: the target needs less work
per punch, fewer fsyncs and a herd admitted without waste, or more than one core`
    : !a.ratios.secondsMet ? `, inside the ${TARGET_SECONDS} s target: the waste in connecting and the fsyncs are what keep the drain out of it` : ''}. The raw baseline stores
the same rows in ${s(table.rawS.median)} (${fmt(total / table.rawS.median)} rows/s, an fsync per ${fmt(setting.rawTxnRows)} rows) with nothing else to do.

The upstream. Requests in the median run: ${fmt(d.requests)}, ${fixed(total / d.requests, 0)} punches each on average (${pct(d.fullRequests / d.requests)} full at
\`forward.batchSize\` ${d.forwardBatch}), ${fmt(d.phases.before)} of them (${fixed(d.phases.rateBefore, 1)}/s) before every punch was acked and ${fmt(d.phases.after)} after. ${v.upstreamKeptUp
    ? `Punches reached the upstream at most ${s(d.forwardLagS)} after they were acked (the timeline above): the upstream did not hold
the drain back.`
    : `Punches reached the upstream up to ${s(d.forwardLagS)} after they were acked (the timeline above), and the last of them
${s(d.deliveredS - d.ackedS)} after the last ack.`} The default batch size is kept; a larger one (\`BENCH_DRAIN_FORWARD_BATCH\`) means fewer requests and
fewer of the forwarder's fsyncs per punch. The bench process (${fmt(shape.devices)} devices) used ${s(cpu.bench)} of CPU, the sink
${s(cpu.sink)}; ${fmt(a.ackedTwice)} punches were acked twice and the sink got ${fmt(a.copies)} twice.

Memory. ${fmt(shape.devices)} idle connections alone took the gateway from ${mb(startRss)} to ${mb(idlePeak)}, about
${fmt((idlePeak - startRss) / shape.devices / 1024)} KB each. Measured apart (heap snapshots of a gateway with 1,500 and then 3,000 of these devices,
2026-11-30), a connection holds about 7.3 KB of heap: aedes's client 2.1 KB, its MQTT parser 2.0 KB (a whole
stream of its own for a buffer list), Node's socket 1.8 KB, the topic index and the two subscriptions 1.1 KB, the
keepalive timer 0.3 KB; the rest of the RSS is V8's young generation, the old generation's room between full
collections (V8's own factor, by default, let it double: with \`memory.heapGrowthPercent\` 50 these connections took
254-260 MB and the drain peaked at 319-339 MB, docs/DESIGN-NOTES.md, "The heap's growth between full collections")
and the allocator. The drain's peak of ${mb(peak)} (${mb(table.storedPeakRss.median)} with no upstream) adds punches in flight,
the connections of attempts the devices gave up on and the gateway has not closed yet, and the garbage of ${fmt(total)}
punches passing through; it varies from run to run by tens of MB with when V8 collects.${v.rssTight
? ` With the connections alone at ${pct(idlePeak / MB / TARGET_RSS_MB)} of the ${TARGET_RSS_MB} MB target, there is
little room at ${fmt(shape.devices)} devices without a lighter connection, which means changing aedes or mqtt-packet.`
: ''}
`
}
