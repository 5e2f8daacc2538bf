/**
 * GET /api/v1/history on a real gateway process sampling every second (history.sampleSeconds): points with
 * the backlog, the punches received and delivered per interval and the devices online, as real devices
 * publish to it and a real upstream takes the punches; the points survive a restart (SQLite).
 */
import t from 'tap'
import { join } from 'node:path'
import { cli, startGatewayProcess, writeGatewayConfig } from './helpers/gateway-process.js'
import { batch, connectDevice } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'

interface Point { t: number, backlog: number, delivered: number, received: number, devicesOnline: number }

t.test('points follow what came in, what went upstream and who was online; a restart keeps them', async t => {
  const dir = t.testdir()
  const data = join(dir, 'gw')
  const sink = new WebhookUpstream()
  await sink.start()
  t.teardown(async () => await sink.close())
  let upstreamDown = true
  sink.respond(() => ({ status: upstreamDown ? 503 : 200 }))
  const config = writeGatewayConfig(dir, { history: { sampleSeconds: 1 }, forward: { backoffBaseMs: 100, backoffCapMs: 300 } })
  for (const id of ['H-1', 'H-2']) cli(['devices', 'add', id, '--secret', `secret-of-${id}`, '--data', data])
  let gw = await startGatewayProcess({ dataDir: data, args: ['--config', config], upstream: sink.url })
  t.teardown(async () => await gw.stop())
  const history = async (query = ''): Promise<{ sampleSeconds: number, points: Point[] }> => await (await gw.api('/api/v1/history' + query)).json() as { sampleSeconds: number, points: Point[] }

  const a = await connectDevice(gw.mqttUrl, 'H-1', { secret: 'secret-of-H-1' })
  const b = await connectDevice(gw.mqttUrl, 'H-2', { secret: 'secret-of-H-2' })
  await a.publish(batch('b-1', [1, 2, 3, 4, 5]))
  await b.publish(batch('b-2', [1, 2]))
  await until(async () => (await history()).points.some(p => p.devicesOnline === 2 && p.backlog === 7), 'a point with both devices online and 7 punches waiting', 10_000, 200)
  let h = await history()
  t.equal(h.sampleSeconds, 1)
  t.equal(h.points.reduce((n, p) => n + p.received, 0), 7, 'the punches received, counted once across the points')
  t.ok(h.points.every((p, i) => i === 0 || p.t > h.points[i - 1].t), 'oldest first')

  upstreamDown = false
  await sink.waitFor(() => sink.received.size === 7, 15_000)
  await a.close()
  await b.close()
  await until(async () => {
    const last = (await history()).points.at(-1)!
    return last.backlog === 0 && last.devicesOnline === 0
  }, 'a point after delivery with nobody online', 10_000, 200)
  h = await history()
  t.equal(h.points.reduce((n, p) => n + p.delivered, 0), 7, 'the punches delivered, counted once')
  t.match(h.points.at(-1), { t: Number, backlog: 0, delivered: Number, received: 0, devicesOnline: 0 })

  const before = h.points.length
  await gw.stop()
  gw = await startGatewayProcess({ dataDir: data, args: ['--config', config], upstream: sink.url })
  const after = await history()
  t.ok(after.points.length >= before, `the points of before the restart are kept (${before} then ${after.points.length})`)
  t.same(after.points.slice(0, before), h.points, 'unchanged')
  t.same((await history('?hours=1')).points.slice(0, before), h.points, 'hours=1 covers them')
})
