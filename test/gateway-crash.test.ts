/**
 * The gateway killed with SIGKILL twice while devices publish: no acknowledged punch may be lost, and the
 * devices resend whatever was not acknowledged. Real gateway process, real devices (ring + uplink), real
 * upstream; the simulator's ledger is the ground truth.
 */
import t from 'tap'
import { until } from './helpers/wait.js'
import { pino } from 'pino'
import { startGatewayProcess, type GatewayProcess } from './helpers/gateway-process.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { Ledger, formatReconciliation } from '../sim/ledger.js'
import { SimDevice } from '../sim/device.js'
import { seededRandom } from '../sim/workload/seeded-random.js'
import { setTimeout as sleep } from 'node:timers/promises'

t.test('SIGKILL twice under load loses no acked punch', async t => {
  const dir = t.testdir()
  const sink = new WebhookUpstream()
  await sink.start()
  let gw: GatewayProcess = await startGatewayProcess({ dataDir: dir, upstream: sink.url, allowAnonymous: true })
  const ports = { mqttPort: gw.mqttPort, httpPort: gw.httpPort }
  const ledger = new Ledger()
  const random = seededRandom(7)
  const log = pino({ level: 'silent' })
  const devices = Array.from({ length: 6 }, (_, i) => new SimDevice({
    id: `K-${i}`, url: gw.mqttUrl, capacity: 5000, ledger, log, random, batchSize: 50, window: 2
  }))
  for (const d of devices) d.start()

  let punching = true
  const load = (async () => {
    while (punching) {
      for (const d of devices) d.punch(Date.now())
      await sleep(5)
    }
  })()

  const kills: number[] = []
  for (let round = 0; round < 2; round++) {
    // Kill only once the devices are getting acks again: on a loaded machine the restart and the
    // reconnects can take longer than a fixed pause, and a kill before any ack would test nothing new.
    const before = kills.at(-1) ?? 0
    await until(() => ledger.count('acked') > before, `acks after restart ${round}`, 30_000)
    await sleep(800 + Math.floor(random() * 700))
    kills.push(ledger.count('acked'))
    gw.kill('SIGKILL')
    const { signal } = await gw.exited
    t.equal(signal, 'SIGKILL', `gateway killed (round ${round + 1})`)
    await sleep(200)
    gw = await startGatewayProcess({ dataDir: dir, upstream: sink.url, allowAnonymous: true, ...ports })
  }
  await sleep(800)
  punching = false
  await load

  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    const pending = devices.reduce((n, d) => n + d.pending, 0)
    if (pending === 0 && ledger.count('acked') <= sink.received.size) break
    await sleep(100)
  }
  await Promise.all(devices.map(async d => await d.stop()))
  await sink.waitFor(() => ledger.count('acked') <= sink.received.size, 20_000).catch(() => {})
  await gw.stop()
  await sink.close()

  const r = ledger.reconcile(sink.received)
  t.comment(formatReconciliation(r))
  t.ok(kills[0] > 0 && kills[1] > kills[0], `punches were being acked at each kill (${kills.join(', ')})`)
  t.ok(r.generated > 500, `a real load (${r.generated} punches)`)
  t.equal(r.lost, 0, 'no acknowledged punch lost')
  t.equal(r.pendingOnDevices, 0, 'devices resent everything that was not acknowledged')
  t.equal(r.delivered, r.generated, 'every punch reached the upstream')
  t.equal(r.unexpectedUpstream, 0)
  // Duplicates upstream are allowed only for batches in flight at a kill, and they keep their punch ids
  // (the key an upstream dedupes on): at most 2 kills × 2 batches × 500 punches.
  t.ok(sink.duplicates <= 2 * 2 * 500, `duplicates upstream bounded (${sink.duplicates})`)
})
