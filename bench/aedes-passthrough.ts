/**
 * The gateway's durable ingest beside raw aedes QoS 1 pass-through of the same payloads (no storage): the
 * same broker code in a child process (aedes-child.ts), the same load generator, counted on PUBACK; and a
 * like-for-like variant where the broker also answers each batch with a fixed ack of the gateway's shape,
 * counted on that ack as against the gateway.
 */
import { spawnTracked, stopChild, waitForLine } from './children.js'
import { benchScript } from './paths.js'
import { measuredLoad, type LoadRun, type LoadShape } from './load-run.js'
import { fmt } from './stats.js'

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
