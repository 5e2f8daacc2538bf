/**
 * The other half of the peer a user would assemble from a stock broker: one MQTT.js client subscribed with
 * QoS 1 to every device's punches topic, counting what arrives (no parsing, no storage). Run as its own
 * process, as that consumer would be.
 *
 *   node dist/bench/subscriber-child.js URL TOPIC
 *
 * Prints {"ready":true} once subscribed. Reads lines "expect N" on stdin and prints {"have":count} as soon as
 * N messages (counted since it started) have arrived; "expect 0" prints the count at once. SIGTERM ends it.
 */
import { createInterface } from 'node:readline'
import mqtt from 'mqtt'

const [url, topic] = process.argv.slice(2)
const client = await mqtt.connectAsync(url, { clientId: 'bench-subscriber', protocolVersion: 4, clean: true, reconnectPeriod: 0, connectTimeout: 10_000 })
;(client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true)
let count = 0
let bytes = 0
let target = Infinity
const check = (): void => {
  if (count < target) return
  process.stdout.write(JSON.stringify({ have: count, bytes }) + '\n')
  target = Infinity
}
client.on('message', (_topic, payload) => {
  count++
  bytes += payload.length
  check()
})
client.on('close', () => { process.stderr.write(`subscriber: connection closed after ${count} messages\n`); process.exit(1) })
await client.subscribeAsync(topic, { qos: 1 })
createInterface({ input: process.stdin }).on('line', (line) => {
  const m = /^expect (\d+)$/.exec(line.trim())
  if (m === null) return
  target = Number(m[1])
  check()
})
process.stdout.write(JSON.stringify({ ready: true }) + '\n')
process.once('SIGTERM', () => {
  client.removeAllListeners('close')
  void client.endAsync(true).then(() => process.exit(0))
})
