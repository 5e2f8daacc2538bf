/**
 * An upstream that accepts connections and never answers, then one that sends its status and headers and
 * holds the body (having taken the batch), must not wedge forwarding: every request ends within upstream.timeoutMs however often
 * the garbage collector runs, is retried under its Idempotency-Key, the alarm says the upstream does not
 * answer, /metrics shows the requests in flight, and every punch is delivered once the upstream answers.
 * The gateway runs with --expose-gc and a full collection every 100 ms (faults/gc-pressure.ts).
 */
import t from 'tap'
import { join } from 'node:path'
import { startGatewayProcess } from './helpers/gateway-process.js'
import { gcPressureArgs, writeGatewayConfig } from '../faults/gateway-process.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { until } from './helpers/wait.js'

const TIMEOUT_MS = 400
const CONCURRENCY = 2

t.test('a hung upstream under GC pressure: requests time out, are retried under their key, and all is delivered once it answers', async t => {
  const dir = t.testdir()
  const sink = new WebhookUpstream()
  await sink.start()
  let hang: 'request' | 'body' | undefined = 'request'
  sink.respond(() => (hang === undefined ? { status: 200 } : { status: 200, hang }))
  const config = writeGatewayConfig(dir, {
    upstream: { url: sink.url, timeoutMs: TIMEOUT_MS },
    forward: { concurrency: CONCURRENCY, lingerMs: 20, backoffBaseMs: 50, backoffCapMs: 200 },
    alarms: { upstreamFailingMinutes: 0.02, intervalSeconds: 0.2 },
    backup: { intervalHours: 0 },
    storage: { minFreeBytes: 0 }
  })
  const gw = await startGatewayProcess({
    dataDir: join(dir, 'data'), upstream: sink.url, allowAnonymous: true, args: ['--config', config], nodeArgs: gcPressureArgs()
  })
  t.teardown(async () => { await gw.stop(); await sink.close() })

  const dev = await connectDevice(gw.mqttUrl, 'H-0001')
  t.teardown(() => dev.close())
  const seqs = Array.from({ length: 40 }, (_, i) => i + 1)
  await dev.publish(batch('b-1', seqs.slice(0, 20)))
  await dev.ackFor('b-1')
  await dev.publish(batch('b-2', seqs.slice(20)))
  await dev.ackFor('b-2')

  // A wedged forwarder sends `concurrency` requests and nothing more, for ever.
  const enough = CONCURRENCY * 3
  await until(() => sink.requests.length >= enough, () => `${enough} requests, got ${sink.requests.length}`, 30_000, 50)
  const keys = sink.requests.map(r => String(r.headers['idempotency-key']))
  t.ok(keys.length > new Set(keys).size, 'requests abandoned at their timeout are sent again under their key')

  const metrics = await (await fetch(`${gw.httpUrl}/metrics`)).text()
  t.match(metrics, /^punchline_forward_in_flight_requests \d+$/m, '/metrics shows the requests in flight')
  t.match(metrics, /^punchline_forward_oldest_in_flight_seconds [\d.e+-]+$/m, '/metrics shows the age of the oldest')
  const oldest = Number(/^punchline_forward_oldest_in_flight_seconds ([\d.e+-]+)$/m.exec(metrics)?.[1])
  t.ok(oldest < 30 * TIMEOUT_MS / 1000, `no request stays in flight long past its timeout (oldest ${oldest} s)`)

  let alarm = ''
  await until(async () => {
    const { alarms } = await (await gw.api('/api/alarms')).json() as { alarms: Array<{ name: string, message: string }> }
    alarm = alarms.find(a => a.name === 'upstream-failing')?.message ?? ''
    return alarm !== ''
  }, () => `the upstream-failing alarm (${alarm})`, 20_000, 100)
  t.match(alarm, /has not answered any request for/, `the alarm says the upstream does not answer: ${alarm}`)
  t.notMatch(alarm, /keeps retrying/)

  hang = 'body'
  const before = sink.requests.length
  // Two slots: two more requests after the first two met the held body means those two ended.
  await until(() => sink.requests.length >= before + CONCURRENCY * 2, () => `${before + CONCURRENCY * 2} requests, got ${sink.requests.length}`, 30_000, 50)
  const backlog = await (await gw.api('/api/backlog')).json() as { pendingPunches: number }
  t.equal(backlog.pendingPunches, seqs.length, 'an answer whose body never came is not a delivery: everything still waits')

  hang = undefined
  await sink.waitFor(() => sink.received.size === seqs.length, 30_000)
  let sameKey = 0
  for (const n of sink.retried.values()) sameKey += n
  t.equal(sink.duplicates, sameKey, 'copies beyond the first only of batches the upstream took and never finished answering, under their key')
  const timeouts = gw.logs.filter(l => l.msg === 'upstream did not take the batch; will retry' && String(l.error).startsWith('timeout'))
  t.ok(timeouts.length >= CONCURRENCY * 2, `each hung request logged as a timeout (${timeouts.length})`)
  await until(async () => {
    const { alarms } = await (await gw.api('/api/alarms')).json() as { alarms: Array<{ name: string }> }
    return !alarms.some(a => a.name === 'upstream-failing')
  }, 'the alarm to clear', 20_000, 100)
})
