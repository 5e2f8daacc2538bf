/**
 * The tables of "Durable ingest beside a mosquitto peer" (docs/BENCHMARKS.md) from the mosquitto figures
 * (bench/mosquitto.ts) and the ingest figures of the same run (bench/ingest.ts), whose gateway runs are the
 * figure the peer is compared with. Pure.
 */
import { costCells, cpuCost } from './cpu-cost.js'
import { CPU_BOUND_SHARE } from './ingest-render.js'
import type { IngestFigures } from './ingest.js'
import type { MosquittoFigures } from './mosquitto.js'
import { fixed, fmt, median } from './stats.js'

export function renderMosquitto (f: MosquittoFigures, ingest: IngestFigures): string {
  const outcome = f.outcome
  if ('skipped' in outcome) {
    return `**Skipped in this run:** ${outcome.skipped}. Install the Debian package (\`apt-get install -y mosquitto\`; the bench runs
the binary itself on a free port with its own config and does not need the service) or point \`BENCH_MOSQUITTO\` at a
mosquitto binary, and run \`npm run bench\` again.
`
  }
  const { runs } = outcome
  const { devices, window, batches, batchSize } = f.shape
  const gw = median(ingest.runs.map(r => r.gateway.rate))
  const puback = runs.map(r => r.puback.rate)
  const delivered = runs.map(r => r.deliveredRate)
  const broker = cpuCost(runs.map(r => r.puback), 'serverCpuSeconds')
  const client = cpuCost(runs.map(r => r.puback), 'clientCpuSeconds')
  const subscriber = {
    share: median(runs.map(r => r.subscriberCpuSeconds / r.deliveredSeconds)),
    usPerPunch: median(runs.map(r => r.subscriberCpuSeconds * 1e6 / r.puback.punches))
  }
  const busiest = Math.max(broker.share, client.share, subscriber.share)
  const cheapest = broker.usPerPunch < Math.min(client.usPerPunch, subscriber.usPerPunch)
  const notes = [
    ...cheapest ? ['Mosquitto (C, one thread) is the cheapest of the three processes per punch.'] : [],
    ...busiest < CPU_BOUND_SHARE
      ? [`None of the three was on a core more than ${Math.round(100 * busiest)} % of the time, so it is not one process's CPU that sets this
figure but the round trips of ${devices * window} batches in flight through three processes on a shared machine.`]
      : []
  ]
  return `Mosquitto ${outcome.version} (\`${outcome.binary}\`), the subscriber MQTT.js ${f.mqttVersion}; ${devices} clients, ${window} batches in flight each,
${batches} batches of ${batchSize} punches per device.

| figure | median | runs |
|---|---:|---|
| gateway durable ingest, counted on the ack sent after commit (from above) | ${fmt(gw)} punches/s | ${ingest.runs.map(r => fmt(r.gateway.rate)).join(', ')} |
| mosquitto, counted on PUBACK | ${fmt(median(puback))} punches/s | ${puback.map(fmt).join(', ')} |
| mosquitto, counted when the subscriber has every message | ${fmt(median(delivered))} punches/s | ${delivered.map(fmt).join(', ')} |
| **ratio** gateway / mosquitto with the subscriber having everything | **${fixed(gw / median(delivered), 3)}** | |
| ratio gateway / mosquitto on PUBACK | ${fixed(gw / median(puback), 3)} | |

| process (medians over runs) | on a core | CPU per punch |
|---|---:|---:|
| mosquitto, until the last PUBACK | ${costCells(broker)} |
| subscriber, until it had everything | ${costCells(subscriber)} |
| load generator | ${costCells(client)} |
| the gateway, for comparison (from the durable ingest section) | ${costCells(cpuCost(ingest.runs.map(r => r.gateway), 'serverCpuSeconds'))} |
${notes.length === 0 ? '' : `\n${notes.join('\n')}\n`}`
}
