/**
 * POST /api/v1/dead-letters/replay on a real gateway with a real upstream sink: a punch the upstream
 * refused is parked, replayed through the API once the upstream takes it, delivered, and audited.
 */
import t from 'tap'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'
import { addOperator, asSession, login } from './helpers/api-v1.js'
import { gatewayForwardingTo, sinkRefusingSeq } from './helpers/refusing-sink.js'

t.test('a refused punch replayed by hr through the API reaches the upstream, with its audit row', async t => {
  const sink = await sinkRefusingSeq(t, 2)
  const { gw, data } = await gatewayForwardingTo(t, sink)
  const hr = await login(gw, 'hana', await addOperator(data, 'hana', 'hr'))
  const viewer = await login(gw, 'vic', await addOperator(data, 'vic', 'viewer'))

  const dev = await connectDevice(gw.mqttUrl, 'T-9')
  t.teardown(() => dev.close())
  await dev.publish(batch('b-1', [1, 2, 3]))
  await dev.ackFor('b-1')
  const open = async (): Promise<Array<{ rowId: number }>> => await (await asSession(gw, hr, 'GET', '/api/v1/dead-letters')).json() as Array<{ rowId: number }>
  await until(async () => (await open()).length === 1, 'the refused punch to be parked')

  t.match(await (await asSession(gw, hr, 'POST', '/api/v1/dead-letters/replay', {})).json(), { field: 'body', rule: 'minProperties' }, 'an empty choice: 400')
  t.match(await (await asSession(gw, hr, 'POST', '/api/v1/dead-letters/replay', { ids: [0] })).json(), { field: 'body.ids.0', rule: 'minimum' }, 'a bad id: 400 naming it')
  t.equal((await asSession(gw, viewer, 'POST', '/api/v1/dead-letters/replay', { all: true })).status, 403, 'a viewer may not replay')

  sink.respond(() => ({ status: 200 }))
  const [{ rowId }] = await open()
  const replay = await asSession(gw, hr, 'POST', '/api/v1/dead-letters/replay', { ids: [rowId] })
  t.equal(replay.status, 200)
  t.same(await replay.json(), { replayed: 1 })
  await sink.waitFor(() => sink.received.get('T-9:9f2c41d0:2') === 1)
  t.same(await open(), [], 'nothing left open')
  const audit = await (await asSession(gw, hr, 'GET', '/api/v1/audit?limit=1')).json() as { entries: unknown[] }
  t.match(audit.entries, [{ actor: 'hana', action: 'deadletters.replay', target: `ids ${rowId}`, detail: '1 replayed' }])
})
