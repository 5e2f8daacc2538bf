/**
 * The MQTT sink against a real aedes broker on 127.0.0.1 with a real subscriber
 * (fakes/upstream/upstream-broker.ts): the sink contract, then what is MQTT's own: delivered means
 * PUBACKed, the watermark is retained, a batch too big for the broker is split, nothing waits in MQTT.js
 * while offline, one connection is shared, mqtts with the operator's CA, and the defaults createSink
 * derives from the gateway id.
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import mqtt from 'mqtt'
import { MqttSink, type MqttSinkOptions } from '../gateway/forward/mqtt-sink.js'
import { createSink } from '../gateway/forward/create-sink.js'
import { upstreamFor } from '../gateway/config.js'
import { silentLogger } from '../shared/log.js'
import { makeCa, makeServerCert } from './helpers/certs.js'
import { until } from './helpers/wait.js'
import { UpstreamBroker, type BrokerOptions } from '../fakes/upstream/upstream-broker.js'
import { contractBatch, contractWatermarks, CONTRACT_T0, sinkContract } from './fixtures/sink-contract.js'

const TIMEOUT_MS = 1000
const TOPIC = 'punchline/gw-1'
const live = (): AbortSignal => new AbortController().signal

async function broker (t: Test, o: Partial<BrokerOptions> = {}): Promise<UpstreamBroker> {
  const b = await new UpstreamBroker({ topic: TOPIC, ...o }).start()
  t.teardown(async () => await b.close())
  return b
}

function sinkFor (t: Test, b: UpstreamBroker, o: Partial<MqttSinkOptions> = {}): MqttSink {
  const sink = new MqttSink({ url: b.url, username: 'gw', password: 'pw', clientId: 'punchline-gw-1', topic: TOPIC, timeoutMs: TIMEOUT_MS, log: silentLogger(), ...o })
  t.teardown(async () => await sink.close())
  return sink
}

sinkContract(t, 'mqtt', { refusesRecords: false, knowsPersons: false, takesWatermarks: true }, async t => {
  const b = await broker(t)
  return {
    sink: sinkFor(t, b),
    timeoutMs: TIMEOUT_MS,
    count: p => b.counts.get(p.id) ?? 0,
    dedupes: false,
    // Messages reach the reader after the PUBACK; a short wait lets stragglers (duplicates) arrive too.
    settle: async () => await sleep(200),
    outage: async () => await b.outage(),
    restore: async () => await b.restore(),
    stall: ms => { b.stallMs = ms },
    revokeCredentials: () => b.revoke(),
    watermarkSeen: () => b.watermarks.at(-1)
  }
})

t.test('delivered means PUBACKed: the batch JSON at QoS 1 on {topic}/punches, not retained', async t => {
  const b = await broker(t)
  const sink = sinkFor(t, b)
  t.same(await sink.deliver(contractBatch([1]), live()), { outcome: 'delivered' }, 'connected')
  b.stallMs = 400
  const batch = contractBatch([2, 3])
  const started = Date.now()
  t.same(await sink.deliver(batch, live()), { outcome: 'delivered' })
  t.ok(Date.now() - started >= 390, 'the delivery waited for the broker to PUBACK')
  t.match(b.published.at(-1), { clientId: 'punchline-gw-1', topic: `${TOPIC}/punches`, qos: 1, retain: false })
  await until(() => b.batches.length === 2)
  t.same(b.batches[1], batch, 'the body is the webhook\'s UpstreamBatch')
})

t.test('the watermark is published retained, so a consumer that subscribes later gets it', async t => {
  const b = await broker(t)
  const sink = sinkFor(t, b)
  const marks = contractWatermarks(CONTRACT_T0)
  t.same(await sink.watermark(marks, live()), { outcome: 'delivered' })
  t.match(b.published.at(-1), { topic: `${TOPIC}/watermark`, qos: 1, retain: true })

  const late = await mqtt.connectAsync(b.url, { clientId: 'late-consumer', username: 'gw', password: 'pw', reconnectPeriod: 0 })
  t.teardown(async () => await late.endAsync(true))
  const got = new Promise<{ retain: boolean, body: unknown }>(resolve => {
    late.on('message', (_topic, payload, packet) => resolve({ retain: packet.retain, body: JSON.parse(payload.toString()) }))
  })
  await late.subscribeAsync(`${TOPIC}/watermark`, { qos: 1 })
  const msg = await got
  t.equal(msg.retain, true)
  t.same(msg.body, marks)
})

t.test('a batch over the broker\'s payload limit is split before anything is sent', async t => {
  const b = await broker(t)
  const sink = sinkFor(t, b, { maxPayloadBytes: 2000 })
  const big = contractBatch(Array.from({ length: 20 }, (_, i) => i + 1))
  const r = await sink.deliver(big, live())
  t.match(r, { outcome: 'split' })
  t.match((r as { error: string }).error, /over the 2000 bytes/)
  t.equal(b.published.length, 0)
  t.same(await sink.deliver(contractBatch([1, 2]), live()), { outcome: 'delivered' }, 'a half that fits goes')
})

t.test('nothing waits inside MQTT.js while offline: a batch refused then is never sent behind our back', async t => {
  const b = await broker(t)
  const sink = sinkFor(t, b)
  t.same(await sink.deliver(contractBatch([1]), live()), { outcome: 'delivered' })
  await b.outage()
  const offline = contractBatch([2])
  t.match(await sink.deliver(offline, live()), { outcome: 'retry' })
  await b.restore()
  t.same(await sink.deliver(contractBatch([3]), live()), { outcome: 'delivered' }, 'the next delivery reconnects')
  await until(() => b.counts.has('C-1:9f2c41d0:3'))
  await sleep(300)
  t.equal(b.counts.get('C-1:9f2c41d0:2'), undefined, 'the batch refused while offline was not replayed')
  t.equal(b.connections.get('punchline-gw-1'), 2)
})

t.test('deliveries waiting for a connection share one', async t => {
  const b = await broker(t)
  const sink = sinkFor(t, b)
  const results = await Promise.all([1, 2, 3].map(s => sink.deliver(contractBatch([s]), live())))
  t.same(results, [1, 2, 3].map(() => ({ outcome: 'delivered' })))
  t.equal(b.connections.get('punchline-gw-1'), 1)
})

t.test('close() ends the connection; a delivery after it is a result, not a throw', async t => {
  const b = await broker(t)
  const sink = sinkFor(t, b)
  t.same(await sink.deliver(contractBatch([1]), live()), { outcome: 'delivered' })
  t.ok(b.clients.has('punchline-gw-1'))
  await sink.close()
  await until(() => !b.clients.has('punchline-gw-1'), 'the broker to see the sink leave')
  t.match(await sink.deliver(contractBatch([2]), live()), { outcome: 'retry' })
})

t.test('mqtts with the operator\'s CA file; a certificate it cannot check is a configuration fault', async t => {
  const dir = t.testdir()
  const ca = makeCa(dir, 'site-ca')
  const cert = makeServerCert(dir, 'broker', ca, 2)
  const b = await broker(t, { tls: { ...cert, ca: ca.cert } })
  t.match(b.url, /^mqtts:/)
  t.same(await sinkFor(t, b, { caFile: ca.cert }).deliver(contractBatch([1]), live()), { outcome: 'delivered' })
  const noCa = await sinkFor(t, b, { clientId: 'no-ca' }).deliver(contractBatch([2]), live())
  t.match(noCa, { outcome: 'config' }, JSON.stringify(noCa))
  const missing = await sinkFor(t, b, { clientId: 'missing-ca', caFile: join(dir, 'nope.pem') }).deliver(contractBatch([3]), live())
  t.match(missing, { outcome: 'config' })
  t.match((missing as { error: string }).error, /caFile/)
})

t.test('createSink: topic and client id follow the gateway id when unset; a wildcard topic is refused', async t => {
  const b = await new UpstreamBroker({ topic: 'punchline/gw-7' }).start()
  t.teardown(async () => await b.close())
  const up = { ...upstreamFor(b.url), username: 'gw', password: 'pw' }
  t.equal(up.kind, 'mqtt')
  const sink = createSink(up, { gatewayId: 'gw-7', log: silentLogger() })
  t.teardown(async () => await sink.close?.())
  t.equal(sink.name, 'mqtt')
  t.same(await sink.deliver(contractBatch([1]), live()), { outcome: 'delivered' })
  t.match(b.published.at(-1), { clientId: 'punchline-gw-7', topic: 'punchline/gw-7/punches' })

  const wild = createSink({ ...up, topic: 'punchline/+' }, { gatewayId: 'gw-7', log: silentLogger() })
  t.match(await wild.deliver(contractBatch([2]), live()), { outcome: 'config' })
})

t.test('an abort that lands while the connection is being made ends the attempt then, unsent', async t => {
  const b = await broker(t)
  b.stallMs = TIMEOUT_MS * 3
  const sink = sinkFor(t, b)
  const ac = new AbortController()
  const attempt = sink.deliver(contractBatch([1]), ac.signal)
  // The first delivery opens the connection: the abort comes before its CONNACK can.
  ac.abort()
  const started = Date.now()
  const r = await attempt
  t.match(r, { outcome: 'retry', notTaken: true }, 'a retry the upstream never saw')
  t.match((r as { error?: string }).error, /abort/i, 'said to be the abort, not the timeout')
  t.ok(Date.now() - started < TIMEOUT_MS, 'without waiting for the PUBACK timeout')
  b.stallMs = 0
  await sleep(200)
  t.equal(b.counts.get(contractBatch([1]).punches[0].id) ?? 0, 0, 'nothing was published')
})
