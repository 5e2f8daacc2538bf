/**
 * An upstream that answers 503 for a while and then 422 for one poison record still gets every good punch
 * exactly once; the poison record lands in dead letters, where the CLI lists and replays it.
 */
import t from 'tap'
import { startGatewayProcess, cli } from './helpers/gateway-process.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'

t.test('503 storm, then a poison record: every good punch once, the poison dead-lettered', async t => {
  const dir = t.testdir()
  const sink = new WebhookUpstream()
  await sink.start()
  const POISON = 'P-0001:9f2c41d0:13'
  let storm = true
  let poisonRefusals = 0
  sink.respond((req) => {
    if (storm) return { status: 503, headers: { 'Retry-After': '0' } }
    if (req.body?.punches.some(p => p.id === POISON) === true) {
      poisonRefusals++
      return { status: 422, body: JSON.stringify({ error: `emp: unknown employee in ${POISON}` }) }
    }
    return { status: 200 }
  })
  const gw = await startGatewayProcess({ dataDir: dir, upstream: sink.url, allowAnonymous: true })
  t.teardown(async () => { await gw.stop(); await sink.close() })

  const dev = await connectDevice(gw.mqttUrl, 'P-0001')
  t.teardown(() => dev.close())
  const seqs = Array.from({ length: 40 }, (_, i) => i + 1)
  await dev.publish(batch('b-1', seqs.slice(0, 20)))
  await dev.publish(batch('b-2', seqs.slice(20)))
  await dev.ackFor('b-1')
  await dev.ackFor('b-2')

  await sink.waitFor(() => sink.requests.length >= 3, 15_000)
  t.equal(sink.received.size, 0, 'nothing delivered during the storm')
  storm = false
  await sink.waitFor(() => sink.received.size === 39, 30_000)
  for (const s of seqs) {
    const id = `P-0001:9f2c41d0:${s}`
    if (id === POISON) t.notOk(sink.received.has(id), 'poison never accepted')
    else t.equal(sink.received.get(id), 1, `${id} delivered exactly once`)
  }
  t.ok(poisonRefusals >= 2, 'the poisoned batch was split until the record was alone')
  const keys = sink.requests.map(r => r.headers['idempotency-key'])
  t.ok(keys.every(k => typeof k === 'string' && k.length > 0), 'every request carries an Idempotency-Key')

  // Dead letters: listed by the CLI with the reason, then replayed once the upstream accepts it.
  let listed = cli(['deadletters', 'list', '--data', dir])
  const deadline = Date.now() + 10_000
  while (!listed.stdout.includes(POISON) && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 200))
    listed = cli(['deadletters', 'list', '--data', dir])
  }
  t.equal(listed.status, 0)
  t.match(listed.stdout, POISON)
  t.match(listed.stdout, '422')
  t.match(listed.stdout, 'unknown employee')

  sink.respond(() => ({ status: 200 }))
  const replay = cli(['deadletters', 'replay', '--all', '--data', dir])
  t.equal(replay.status, 0, replay.stderr)
  await sink.waitFor(() => sink.received.has(POISON), 15_000)
  t.equal(sink.received.get(POISON), 1)
})
