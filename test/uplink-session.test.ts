/**
 * The uplink's state is per connection (device/uplink-session.ts). A connection made after a restart of
 * the uplink (stop, then start) is a new connection like any other: it waits for the gateway's time
 * command (timeWaitMs) before uploading, so a clock correction still reaches the gateway ahead of the
 * punches it concerns. Against a real aedes broker that, unlike the gateway, never sends the time.
 */
import t from 'tap'
import { pino } from 'pino'
import { createMemoryRing } from '../device/ring/index.js'
import { Uplink } from '../device/uplink.js'
import { UpstreamBroker } from '../fakes/upstream/upstream-broker.js'
import { until } from './helpers/wait.js'

const log = pino({ level: 'silent' })
const TIME_WAIT_MS = 2000

t.test('after stop and start, the new connection waits for the time command before uploading', async t => {
  const broker = await new UpstreamBroker({ topic: 'up', username: 'R-1', password: 'secret' }).start()
  t.teardown(async () => await broker.close())
  const ring = createMemoryRing({ capacity: 100 })
  const up = new Uplink({ url: broker.url, deviceId: 'R-1', secret: 'secret', ring, log, timeWaitMs: TIME_WAIT_MS, backoff: { baseMs: 20, capMs: 100 } })
  t.teardown(async () => await up.stop())
  const punchesSent = (): number => broker.published.filter(p => p.clientId === 'R-1' && p.topic.endsWith('/punches')).length

  for (const round of [1, 2]) {
    ring.append({ ts: Date.now(), emp: `E${round}`, kind: 'in', method: 'card', clock: 'synced' })
    const before = punchesSent()
    const online = new Promise<number>(resolve => up.once('online', () => resolve(Date.now())))
    up.start()
    const at = await online
    await until(() => punchesSent() > before, `round ${round}: a batch sent`, 10_000)
    // Generous: the batch may go only once the wait is over, never as soon as the connection is up.
    t.ok(Date.now() - at >= TIME_WAIT_MS / 2, `round ${round}: the batch waited for the time command (${Date.now() - at} ms)`)
    await up.stop()
  }
})
