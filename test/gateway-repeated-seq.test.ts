/**
 * A seq sent twice in one batch is one punch: the first copy decides whether it is stored or rejected, the
 * ack lists the seq in exactly one of `ok` and `rejected`, and a later copy with other content is a
 * conflict the first copy wins (issue 13: a seq could be in both lists of one ack). A real gateway process,
 * a real MQTT device, a real upstream.
 */
import t from 'tap'
import type { GatewayProcess } from './helpers/gateway-process.js'
import { anonymousSite } from './helpers/site.js'
import { connectDevice } from './helpers/mqtt-device.js'
import type { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { rangesContain } from '../shared/ranges.js'
import type { BatchAck } from '../shared/codec/ack.js'

let gw: GatewayProcess
let sink: WebhookUpstream

t.before(async () => {
  ({ gw, sink } = await anonymousSite(t))
})

t.test('each seq of a batch is in exactly one list of its ack, decided by its first copy', async t => {
  const dev = await connectDevice(gw.mqttUrl, 'REP-1')
  t.teardown(() => dev.close())
  const ts = Date.now() - 60_000
  const p = (seq: number, emp: string, over: Record<string, unknown> = {}): Record<string, unknown> => ({ seq, ts, emp, kind: 'in', method: 'card', ...over })
  await dev.publish({
    v: 1,
    id: 'rep-1',
    epoch: '9f2c41d0',
    punches: [
      p(5, 'E5'), p(5, 'E5', { ts: 5 }), // good, then a bad copy
      p(7, 'E7', { ts: 5 }), p(7, 'E7'), // bad, then a good copy
      p(9, 'E9'), p(9, 'E9'), // the same twice
      p(11, 'E11'), p(11, 'E99') // two good copies that differ
    ]
  })
  const ack = await dev.ackFor('rep-1') as BatchAck
  for (const seq of [5, 7, 9, 11]) {
    const inOk = rangesContain(ack.ok, seq)
    const inRejected = ack.rejected.filter(r => r.seq === seq).length
    t.equal(Number(inOk) + inRejected, 1, `seq ${seq} is in exactly one list`)
  }
  t.same(ack.ok, [[5, 5], [9, 9], [11, 11]])
  t.same(ack.rejected.map(r => r.seq), [7])
  t.match(ack.rejected[0].reason, /^ts: /)

  const metrics = await (await fetch(gw.httpUrl + '/metrics')).text()
  t.match(metrics, /punchline_conflicts_total 3\n/, 'the differing later copies of 5, 7 and 11 are conflicts')
  await sink.waitFor(() => [5, 9, 11].every(s => sink.received.has(`REP-1:9f2c41d0:${s}`)))
  t.equal(sink.punches.get('REP-1:9f2c41d0:11')?.emp, 'E11', 'the first copy is the one stored and forwarded')
  t.equal(sink.punches.get('REP-1:9f2c41d0:5')?.ts, new Date(ts).toISOString())
  t.notOk(sink.received.has('REP-1:9f2c41d0:7'), 'a seq whose first copy was rejected is not stored from a later copy')
})
