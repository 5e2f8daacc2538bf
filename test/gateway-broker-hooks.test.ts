/**
 * The broker hooks' handling of status publishes: stored by the gateway, not retained by the broker (no
 * client may subscribe to a status topic, and every retained message costs a match per new subscription).
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { pino } from 'pino'
import type { Client, PublishPacket } from 'aedes'
import { brokerHooks } from '../gateway/broker/hooks.js'
import { Topics } from '../shared/topics.js'
import { GatewayMetrics } from '../gateway/metrics.js'
import { DeviceStore } from '../gateway/store/device-store.js'
import { openDatabase } from '../gateway/store/db.js'

function setup (t: Test): { hooks: ReturnType<typeof brokerHooks>, statuses: string[], punches: string[] } {
  const db = openDatabase(join(t.testdir(), 'punchline.db'))
  t.teardown(() => db.close())
  const statuses: string[] = []
  const punches: string[] = []
  const hooks = brokerHooks({
    topics: new Topics(),
    devices: new DeviceStore(db),
    allowAnonymous: true,
    metrics: new GatewayMetrics(),
    log: pino({ level: 'silent' }),
    punches: (device, _payload, done) => { punches.push(device); done(null) },
    status: (device) => { statuses.push(device) }
  })
  return { hooks, statuses, punches }
}

// The connection is a stream the hooks may cork (broker/turn-writes.ts): a PUBACK and its ack leave in one write.
const client = (id: string): Client => ({ id, conn: new PassThrough() } as unknown as Client)
const packet = (topic: string, retain: boolean): PublishPacket =>
  ({ cmd: 'publish', topic, payload: Buffer.from('{"v":1,"online":true}'), qos: 1, retain, dup: false } as PublishPacket)

async function authorize (hooks: ReturnType<typeof brokerHooks>, c: Client | null, p: PublishPacket): Promise<Error | null | undefined> {
  return await new Promise(resolve => hooks.authorizePublish!(c as Client, p, (err) => resolve(err)))
}

t.test('a retained status is let through without its retain flag; a retained will too', async t => {
  const { hooks } = setup(t)
  const status = packet('att/v1/T-1/status', true)
  t.equal(await authorize(hooks, client('T-1'), status), null)
  t.equal(status.retain, false, 'the broker keeps no copy')
  const will = packet('att/v1/T-1/status', true)
  t.equal(await authorize(hooks, null, will), null)
  t.equal(will.retain, false, 'nor of a will')
})

t.test('punches still go to ingest before their PUBACK; foreign topics are still refused', async t => {
  const { hooks, punches } = setup(t)
  const device = client('T-1')
  t.equal(await authorize(hooks, device, packet('att/v1/T-1/punches', false)), null)
  t.same(punches, ['T-1'])
  t.equal(device.conn.writableCorked, 1, 'its connection is corked when the batch is answered')
  await new Promise(resolve => setImmediate(resolve))
  await new Promise(resolve => setImmediate(resolve))
  t.equal(device.conn.writableCorked, 0, 'and uncorked two setImmediates later, after aedes delivers the ack')
  t.match(await authorize(hooks, client('T-1'), packet('att/v1/T-2/status', true)), /not authorized to publish on att\/v1\/T-2\/status/)
  t.match(await authorize(hooks, null, packet('att/v1/T-1/punches', false)), /will not allowed/)
})
