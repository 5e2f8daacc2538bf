/**
 * The gateway killed with SIGKILL twice while devices publish: no acknowledged punch may be lost, and the
 * devices resend whatever was not acknowledged. Real gateway process, real device runtimes (their file
 * rings and uplinks, faults/load.ts), real upstream; what the devices took and what the gateway
 * acknowledged is the ground truth, reconciled by the fault suite's rule (faults/judge.ts).
 */
import t from 'tap'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { until } from './helpers/wait.js'
import { startGatewayProcess, type GatewayProcess } from './helpers/gateway-process.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { DeviceFleet } from '../faults/load.js'
import { reconcileRun } from '../faults/judge.js'
import { seededRandom } from '../sim/workload/seeded-random.js'

t.test('SIGKILL twice under load loses no acked punch', async t => {
  const dir = t.testdir()
  const data = join(dir, 'gateway')
  const sink = new WebhookUpstream()
  await sink.start()
  let gw: GatewayProcess = await startGatewayProcess({ dataDir: data, upstream: sink.url, allowAnonymous: true })
  const ports = { mqttPort: gw.mqttPort, httpPort: gw.httpPort }
  const random = seededRandom(7)
  const ids = Array.from({ length: 6 }, (_, i) => `K-${i}`)
  const fleet = new DeviceFleet(ids, { dir, url: gw.mqttUrl, capacity: 5000, batchSize: 50, window: 2 })
  t.teardown(async () => { await fleet.stop(); gw.kill('SIGKILL'); await sink.close() })
  await fleet.start()
  fleet.startLoad(5)

  const kills: number[] = []
  for (let round = 0; round < 2; round++) {
    // Kill only once the devices are getting acks again: on a loaded machine the restart and the
    // reconnects can take longer than a fixed pause, and a kill before any ack would test nothing new.
    const before = kills.at(-1) ?? 0
    await until(() => fleet.truth.acked > before, `acks after restart ${round}`, 30_000)
    await sleep(800 + Math.floor(random() * 700))
    kills.push(fleet.truth.acked)
    gw.kill('SIGKILL')
    const { signal } = await gw.exited
    t.equal(signal, 'SIGKILL', `gateway killed (round ${round + 1})`)
    await sleep(200)
    gw = await startGatewayProcess({ dataDir: data, upstream: sink.url, allowAnonymous: true, ...ports })
  }
  await sleep(800)
  await fleet.stopLoad()

  t.ok(await fleet.drained(sink, 60_000), `the rings emptied and the upstream has every acked punch (${fleet.pending()} still on devices)`)
  await fleet.stop()
  await gw.stop()

  const upstream = { counts: sink.received, retried: sink.retried, punches: sink.punches }
  const acked = reconcileRun(fleet.truth, upstream)
  const taken = reconcileRun(fleet.truth, upstream, { must: 'taken' })
  t.comment(`taken ${taken.expected}, acked ${acked.expected}, delivered ${taken.delivered}, duplicates ${taken.duplicates} (${taken.resent} in re-sent batches)`)
  t.ok(kills[0] > 0 && kills[1] > kills[0], `punches were being acked at each kill (${kills.join(', ')})`)
  t.ok(taken.expected > 500, `a real load (${taken.expected} punches)`)
  t.equal(acked.lost, 0, `no acknowledged punch lost (${acked.lostIds.join(', ')})`)
  t.equal(fleet.pending(), 0, 'devices resent everything that was not acknowledged')
  t.equal(taken.lost, 0, 'every punch a device took reached the upstream')
  t.equal(taken.delivered, taken.expected)
  t.equal(taken.altered, 0, 'each with the content the device took: no seq used twice')
  t.equal(taken.unexpected, 0)
  // Duplicates upstream are allowed only for batches in flight at a kill, and they keep their punch ids
  // (the key an upstream dedupes on): at most 2 kills × 2 batches × 500 punches.
  t.ok(taken.duplicates <= 2 * 2 * 500, `duplicates upstream bounded (${taken.duplicates})`)
})
