/**
 * The gateway's durable ingest beside raw aedes QoS 1 pass-through of the same payloads (no storage): the
 * same broker code in a child process (aedes-child.ts), the same load generator, counted on PUBACK; and a
 * like-for-like variant where the broker also answers each batch with a fixed ack of the gateway's shape,
 * counted on that ack as against the gateway.
 */
import { spawnTracked, stopChild, waitForLine } from './children.js'
import { benchScript } from './paths.js'
import { costText, cpuCost, measuredLoad, type LoadRun, type LoadShape } from './load-run.js'
import type { IngestRun } from './ingest.js'
import { packageVersion } from './machine.js'
import { fmt, median } from './stats.js'

// Run from TypeScript (the tests), the child is the compiled one: children run as JavaScript.
const CHILD = benchScript('aedes-child.js')

export interface PassthroughRun {
  /** counted on PUBACK, the broker writes nothing else */
  puback: LoadRun
  /** the broker also publishes a fixed ack per batch after the PUBACK; counted on that ack */
  ack: LoadRun
}

async function onAedes (withAck: boolean, shape: LoadShape): Promise<LoadRun> {
  const child = spawnTracked(process.execPath, withAck ? [CHILD, '--ack'] : [CHILD], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const port = await waitForLine(child, 'aedes child', 20_000, line => (JSON.parse(line) as { port?: number }).port)
    return await measuredLoad(`mqtt://127.0.0.1:${port}`, child.pid, shape, withAck ? 'ack' : 'puback')
  } finally {
    await stopChild(child)
  }
}

export async function passthroughRun (shape: LoadShape, log: (line: string) => void): Promise<PassthroughRun> {
  const puback = await onAedes(false, shape)
  log(`aedes pass-through, counted on PUBACK: ${fmt(puback.rate)} punches/s (${puback.seconds.toFixed(2)} s)`)
  const ack = await onAedes(true, shape)
  log(`aedes pass-through + fixed ack, counted on the ack: ${fmt(ack.rate)} punches/s (${ack.seconds.toFixed(2)} s)`)
  return { puback, ack }
}

export function passthroughSection (runs: PassthroughRun[], ingest: IngestRun[], shape: LoadShape): string {
  const gw = median(ingest.map(r => r.gateway.rate))
  const puback = runs.map(r => r.puback.rate)
  const ack = runs.map(r => r.ack.rate)
  const gwCost = cpuCost(ingest.map(r => r.gateway), 'serverCpuSeconds')
  const ackCost = cpuCost(runs.map(r => r.ack), 'serverCpuSeconds')
  const pubackCost = cpuCost(runs.map(r => r.puback), 'serverCpuSeconds')
  const clientCost = cpuCost(runs.map(r => r.ack), 'clientCpuSeconds')
  return `
## Durable ingest beside raw aedes pass-through

What durability and the gateway's work cost against the broker alone. Same ${shape.devices} MQTT.js clients, same ${shape.window}
batches in flight each, same punch-batch payloads (${shape.batches} batches of ${shape.batchSize} per device, QoS 1), same topics;
the broker is the gateway's own broker module (\`gateway/broker/broker.ts\`: the same aedes ${packageVersion('aedes')}, the same options,
TCP_NODELAY, the packet-size guard) in a child process, with none of the gateway's hooks.
Measured by \`bench/aedes-passthrough.ts\` and \`bench/aedes-child.ts\`; alone: \`BENCH_ONLY=ingest npm run bench\`
(which runs the gateway beside it).

| figure | median | runs |
|---|---:|---|
| gateway durable ingest, counted on the ack sent after commit (from the section above) | ${fmt(gw)} punches/s | ${ingest.map(r => fmt(r.gateway.rate)).join(', ')} |
| aedes pass-through, counted on PUBACK | ${fmt(median(puback))} punches/s | ${puback.map(fmt).join(', ')} |
| aedes pass-through + a fixed ack per batch, counted on the ack | ${fmt(median(ack))} punches/s | ${ack.map(fmt).join(', ')} |
| **ratio** gateway / aedes pass-through + fixed ack (like for like) | **${(gw / median(ack)).toFixed(3)}** | |
| ratio gateway / aedes pass-through on PUBACK | ${(gw / median(puback)).toFixed(3)} | |

What each counts. The gateway writes the PUBACK only after the group commit (it holds aedes's \`authorizePublish\`
callback until then) and then publishes the ack message (QoS 1) that lets the device free its ring slots; the load
generator counts a batch when that ack arrives, so a counted punch is on disk. Plain aedes writes the PUBACK as soon as
it has parsed the publish; a counted punch is in the broker's memory and nowhere else (no subscriber, so it is
dropped). The like-for-like row makes aedes also send one ack message per batch after the PUBACK (aedes's
\`published\` hook, a fixed payload of the gateway's shape) and counts on it, so both sides move the same messages in
both directions and run the same client code; what the ratio leaves is the gateway's own work: decode and
validation, the flag rules, the SQLite insert and the fsync of each group commit.

What limits the figures, medians over runs: the gateway used ${costText(gwCost)}; aedes with the ack
${costText(ackCost)}; aedes on PUBACK ${costText(pubackCost)}; the load generator
against aedes with the ack ${costText(clientCost)}. Per punch the gateway spends
${(gwCost.usPerPunch / ackCost.usPerPunch).toFixed(1)} times the CPU of the broker alone: that is its cost over
pass-through, and with each process CPU-bound on a core of its own the like-for-like ratio would settle near ${(ackCost.usPerPunch / gwCost.usPerPunch).toFixed(2)}.${clientCost.share > ackCost.share
    ? ` Without storage the load generator (${shape.devices} MQTT.js clients in one process) was the busier side in the pass-through runs,
so those figures are a floor on what aedes alone could take, and the throughput ratios a ceiling on the gateway's share.`
    : ''}${gwCost.share < 0.75
    ? `
The gateway's thread was on a core only ${Math.round(100 * gwCost.share)} % of the time; the rest it was blocked in the fsyncs of its
group commits (which a broker without storage never waits for) or waiting for a core on a busy machine.`
    : ''}
`
}
