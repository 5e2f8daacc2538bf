/**
 * A gateway forwarding to an upstream MQTT broker (a real aedes broker with a subscriber): every punch
 * published once with QoS 1, through an outage of the upstream, and the watermark retained beside them.
 */
import t from 'tap'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { startGatewayProcess } from './helpers/gateway-process.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'
import { UpstreamBroker } from '../fakes/upstream/upstream-broker.js'
import type { Watermarks } from '../shared/upstream.js'

t.test('gateway → upstream broker: every punch once, across an outage; watermark retained', async t => {
  const dir = t.testdir()
  const up = await new UpstreamBroker({ topic: 'site7/punchline', username: 'gw', password: 'pw' }).start()
  const config = join(dir, 'gateway.json')
  writeFileSync(config, JSON.stringify({
    gatewayId: 'gw-7',
    upstream: { url: up.url, username: 'gw', password: 'pw', topic: 'site7/punchline', timeoutMs: 2000 },
    forward: { lingerMs: 20, backoffBaseMs: 100, backoffCapMs: 500 },
    watermark: { intervalSeconds: 1 }
  }))
  const gw = await startGatewayProcess({ dataDir: join(dir, 'data'), allowAnonymous: true, args: ['--config', config] })
  t.teardown(async () => { await gw.stop(); await up.close() })
  const dev = await connectDevice(gw.mqttUrl, 'M-1')
  t.teardown(() => dev.close())

  await dev.publish(batch('b1', [1, 2, 3, 4, 5]))
  await dev.ackFor('b1')
  await until(() => up.counts.size === 5, 'the first five upstream', 15_000)
  t.same(up.published.filter(p => p.topic === 'site7/punchline/punches').map(p => [p.qos, p.retain, p.clientId])[0], [1, false, 'punchline-gw-7'])

  await up.outage()
  await dev.publish(batch('b2', [6, 7, 8, 9, 10]))
  t.match(await dev.ackFor('b2'), { ok: [[6, 10]] }, 'the gateway keeps acknowledging while its upstream is down')
  await until(() => gw.logs.some(l => l.msg === 'upstream did not take the batch; will retry'), 'a retry logged', 15_000)
  await up.restore()
  await until(() => up.counts.size === 10, 'the rest upstream after the outage', 20_000)
  for (const [id, n] of up.counts) t.equal(n, 1, `${id} published once`)

  await until(() => up.watermarks.length > 0, 'a watermark', 15_000)
  const mark = up.watermarks[up.watermarks.length - 1] as Watermarks
  t.match(mark, { gateway: 'gw-7', devices: [{ device: 'M-1', site: '' }] })
  t.ok(up.published.some(p => p.topic === 'site7/punchline/watermark' && p.retain && p.qos === 1), 'retained, QoS 1')
})
