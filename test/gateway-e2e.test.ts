/**
 * The spine end to end against a real gateway process, a real broker socket and a real HTTP upstream.
 */
import t from 'tap'
import { startGatewayProcess, cli, type GatewayProcess } from './helpers/gateway-process.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { isErrorAck, type BatchAck, type ErrorAck } from '../shared/codec/ack.js'

let gw: GatewayProcess
const sink = new WebhookUpstream()
const secrets: Record<string, string> = {}

t.before(async () => {
  const dir = t.testdir()
  await sink.start()
  for (const id of ['T-0001', 'T-0002', 'T-0003']) {
    const r = cli(['devices', 'add', id, '--data', dir])
    if (r.status !== 0) throw new Error(r.stderr)
    secrets[id] = r.stdout.trim().split(' ')[1]
  }
  gw = await startGatewayProcess({ dataDir: dir, upstream: sink.url })
})

t.teardown(async () => {
  await gw?.stop()
  await sink.close()
})

t.test('devices add prints a usable secret', async t => {
  t.match(secrets['T-0001'], /^[A-Za-z0-9_-]{20,}$/)
})

t.test('every acked punch arrives upstream exactly once, with the documented fields', async t => {
  const dev = await connectDevice(gw.mqttUrl, 'T-0001', { secret: secrets['T-0001'] })
  t.teardown(() => dev.close())
  t.ok(dev.commands.length >= 0)
  await dev.publish(batch('b-1', [1, 2, 3, 4, 5]))
  const ack = await dev.ackFor('b-1') as BatchAck
  t.same(ack.ok, [[1, 5]])
  t.same(ack.rejected, [])
  t.equal(ack.epoch, '9f2c41d0')
  await sink.waitFor(() => ['1', '2', '3', '4', '5'].every(s => sink.received.has(`T-0001:9f2c41d0:${s}`)))
  const p = sink.punches.get('T-0001:9f2c41d0:1')!
  t.same(Object.keys(p).sort(), ['device', 'emp', 'epoch', 'flags', 'id', 'kind', 'local', 'method', 'received', 'seq', 'ts'].sort())
  t.equal(p.device, 'T-0001')
  t.equal(p.seq, 1)
  t.equal(p.kind, 'in')
  t.equal(p.method, 'card')
  t.equal(p.emp, 'E1001')
  t.same(p.flags, [])
  t.match(p.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  t.match(p.local, /\+08:00$/)
  t.ok(Date.parse(p.received) >= Date.parse(p.ts))
  const req = sink.requests.find(r => r.body?.punches.some(x => x.id === 'T-0001:9f2c41d0:1'))!
  t.equal(req.headers['content-type'], 'application/json')
  t.type(req.headers['idempotency-key'], 'string')
  t.ok(req.body!.gateway.length > 0)
  for (const s of [1, 2, 3, 4, 5]) t.equal(sink.received.get(`T-0001:9f2c41d0:${s}`), 1)
})

t.test('the gateway sends the time when a device comes online', async t => {
  const dev = await connectDevice(gw.mqttUrl, 'T-0003', { secret: secrets['T-0003'] })
  t.teardown(() => dev.close())
  const deadline = Date.now() + 5000
  while (dev.commands.length === 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  const cmd = dev.commands[0] as { op: string, now: number }
  t.equal(cmd.op, 'time')
  t.ok(Math.abs(cmd.now - Date.now()) < 60_000)
})

t.test('resent punches are acked as known and not forwarded again', async t => {
  const dev = await connectDevice(gw.mqttUrl, 'T-0002', { secret: secrets['T-0002'] })
  t.teardown(() => dev.close())
  await dev.publish(batch('b-a', [10, 11, 12]))
  await dev.ackFor('b-a')
  await sink.waitFor(() => sink.received.has('T-0002:9f2c41d0:12'))
  // The same punches again (a device that never saw its ack), plus a new one.
  await dev.publish(batch('b-b', [10, 11, 12, 13]))
  const ack = await dev.ackFor('b-b') as BatchAck
  t.same(ack.ok, [[10, 13]], 'known and new seqs are both acknowledged')
  await sink.waitFor(() => sink.received.has('T-0002:9f2c41d0:13'))
  await new Promise(resolve => setTimeout(resolve, 500))
  for (const s of [10, 11, 12, 13]) t.equal(sink.received.get(`T-0002:9f2c41d0:${s}`), 1, `seq ${s} forwarded once`)
})

t.test('a bad record is rejected by seq with a reason naming the field; the rest is stored', async t => {
  const dev = await connectDevice(gw.mqttUrl, 'T-0001', { secret: secrets['T-0001'] })
  t.teardown(() => dev.close())
  const b = batch('b-bad', [20, 21, 22])
  ;(b.punches as Array<Record<string, unknown>>)[1].loc = { lat: 123, lon: 0, acc: 5 }
  await dev.publish(b)
  const ack = await dev.ackFor('b-bad') as BatchAck
  t.same(ack.ok, [[20, 20], [22, 22]])
  t.same(ack.rejected, [{ seq: 21, reason: 'loc.lat: must be between -90 and 90' }])
  await sink.waitFor(() => sink.received.has('T-0001:9f2c41d0:22'))
  t.notOk(sink.received.has('T-0001:9f2c41d0:21'))
})

t.test('unreadable payloads get an error ack and the gateway stays up', async t => {
  const dev = await connectDevice(gw.mqttUrl, 'T-0001', { secret: secrets['T-0001'] })
  t.teardown(() => dev.close())
  await dev.publish('this is not json')
  await dev.publish({ v: 2, id: 'b-v2', epoch: '9f2c41d0', punches: [] })
  await dev.publish({ ...batch('b-seq', [1]), punches: [{ seq: -4, ts: 1, emp: 'x', method: 'card' }] })
  await dev.publish(JSON.stringify({ ...batch('b-huge', [30]), pad: 'x'.repeat(300 * 1024) }))
  const v2 = await dev.ackFor('b-v2') as ErrorAck
  t.ok(isErrorAck(v2))
  t.equal(v2.error, 'v: must be 1')
  t.equal(v2.epoch, '9f2c41d0')
  const seq = await dev.ackFor('b-seq') as ErrorAck
  t.match(seq.error, /^punches\[0\]\.seq: must be an integer between 1 and/)
  const huge = await dev.ackFor('b-huge') as ErrorAck
  t.match(huge.error, /^payload: must be at most 262144 bytes/)
  t.ok(dev.acks.some(a => isErrorAck(a) && a.id === undefined && /^payload: not valid JSON/.test(a.error)), 'error ack for non-JSON')
  // Still serving: the same connection stores a good batch afterwards.
  await dev.publish(batch('b-after', [40]))
  const after = await dev.ackFor('b-after') as BatchAck
  t.same(after.ok, [[40, 40]])
  const health = await fetch(gw.httpUrl + '/healthz')
  t.equal(health.status, 200)
})

t.test('refused: no credentials, a wrong secret, a username that is not the client id', async t => {
  await t.rejects(connectDevice(gw.mqttUrl, 'T-0001', { subscribe: false }), /Not authorized/i)
  await t.rejects(connectDevice(gw.mqttUrl, 'T-0001', { secret: 'wrong-secret' }), /Bad username or password/i)
  await t.rejects(connectDevice(gw.mqttUrl, 'T-0001', { username: 'T-0002', secret: secrets['T-0002'] }), /Bad username or password/i)
  await t.rejects(connectDevice(gw.mqttUrl, 'NOPE-9', { secret: 'whatever-secret' }), /Bad username or password/i)
})

t.test('a device publishing for another device is disconnected and nothing is stored', async t => {
  const dev = await connectDevice(gw.mqttUrl, 'T-0001', { secret: secrets['T-0001'] })
  const closed = new Promise<void>(resolve => dev.client.once('close', () => resolve()))
  dev.client.publish('att/v1/T-0002/punches', JSON.stringify(batch('b-spoof', [99])), { qos: 1 })
  await closed
  await dev.close()
  await new Promise(resolve => setTimeout(resolve, 300))
  t.notOk(sink.received.has('T-0002:9f2c41d0:99'))
  // And a subscription to another device's acks is refused (SUBACK 0x80).
  const other = await connectDevice(gw.mqttUrl, 'T-0001', { secret: secrets['T-0001'], subscribe: false })
  t.teardown(() => other.close())
  // MQTT.js turns a SUBACK failure code into a rejected subscribe carrying the packet.
  const refused = await other.client.subscribeAsync('att/v1/T-0002/acks', { qos: 1 }).then(() => undefined, (err: { packet?: { granted?: number[] } }) => err)
  t.same(refused?.packet?.granted, [128], 'SUBACK 0x80: subscription refused')
})

t.test('metrics count what happened', async t => {
  const res = await fetch(gw.httpUrl + '/metrics')
  t.equal(res.status, 200)
  const text = await res.text()
  t.match(text, /punchline_punches_total\{result="stored"\} \d+/)
  t.match(text, /punchline_punches_total\{result="known"\} [1-9]/)
  t.match(text, /punchline_punches_total\{result="rejected"\} [1-9]/)
  t.match(text, /punchline_rejects_total\{field="loc.lat"\} 1/)
  t.match(text, /punchline_batches_total\{result="unreadable"\} [1-9]/)
  t.match(text, /punchline_connections_refused_total\{reason="bad_credentials"\} [1-9]/)
  t.match(text, /punchline_acl_denied_total\{action="publish"\} 1/)
})

t.test('SIGTERM drains and exits 0', async t => {
  gw.kill('SIGTERM')
  const { code } = await gw.exited
  t.equal(code, 0)
  t.ok(gw.logs.some(l => l.msg === 'gateway stopped'))
})
