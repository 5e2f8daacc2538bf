/**
 * The tables of "Durable ingest beside raw aedes pass-through" (docs/BENCHMARKS.md) from the ingest figures
 * (bench/ingest.ts): the gateway's runs beside the broker-alone runs taken between them, and what each
 * process spent per punch. Pure.
 */
import { costCells, cpuCost } from './cpu-cost.js'
import { CPU_BOUND_SHARE } from './ingest-render.js'
import type { IngestFigures } from './ingest.js'
import { fixed, fmt, median } from './stats.js'

export function renderPassthrough (f: IngestFigures): string {
  const gw = median(f.runs.map(r => r.gateway.rate))
  const puback = f.passthrough.map(r => r.puback.rate)
  const ack = f.passthrough.map(r => r.ack.rate)
  const gwCost = cpuCost(f.runs.map(r => r.gateway), 'serverCpuSeconds')
  const ackCost = cpuCost(f.passthrough.map(r => r.ack), 'serverCpuSeconds')
  const pubackCost = cpuCost(f.passthrough.map(r => r.puback), 'serverCpuSeconds')
  const clientCost = cpuCost(f.passthrough.map(r => r.ack), 'clientCpuSeconds')
  const notes = [
    ...clientCost.share > ackCost.share
      ? [`Without storage the load generator (${f.shape.devices} MQTT.js clients in one process) was the busier side in the pass-through runs,
so those figures are a floor on what aedes alone could take, and the throughput ratios a ceiling on the gateway's share.`]
      : [],
    ...gwCost.share < CPU_BOUND_SHARE
      ? [`The gateway's thread was on a core only ${Math.round(100 * gwCost.share)} % of the time; the rest it was blocked in the fsyncs of its
group commits (which a broker without storage never waits for) or waiting for a core on a busy machine.`]
      : []
  ]
  return `Broker: aedes ${f.aedesVersion}; ${f.shape.devices} clients, ${f.shape.window} batches in flight each, ${f.shape.batches} batches of ${f.shape.batchSize} punches per device.

| figure | median | runs |
|---|---:|---|
| gateway durable ingest, counted on the ack sent after commit (from the section above) | ${fmt(gw)} punches/s | ${f.runs.map(r => fmt(r.gateway.rate)).join(', ')} |
| aedes pass-through, counted on PUBACK | ${fmt(median(puback))} punches/s | ${puback.map(fmt).join(', ')} |
| aedes pass-through + a fixed ack per batch, counted on the ack | ${fmt(median(ack))} punches/s | ${ack.map(fmt).join(', ')} |
| **ratio** gateway / aedes pass-through + fixed ack (like for like) | **${fixed(gw / median(ack), 3)}** | |
| ratio gateway / aedes pass-through on PUBACK | ${fixed(gw / median(puback), 3)} | |

| process, during the load (medians over runs) | on a core | CPU per punch |
|---|---:|---:|
| gateway | ${costCells(gwCost)} |
| aedes with the ack | ${costCells(ackCost)} |
| aedes on PUBACK | ${costCells(pubackCost)} |
| load generator against aedes with the ack | ${costCells(clientCost)} |
| CPU per punch, gateway / aedes with the ack | | ${fixed(gwCost.usPerPunch / ackCost.usPerPunch, 1)} × |
| like-for-like ratio with each process CPU-bound on a core of its own (aedes / gateway CPU per punch) | | ${fixed(ackCost.usPerPunch / gwCost.usPerPunch, 2)} |
${notes.length === 0 ? '' : `\n${notes.join('\n')}\n`}`
}
