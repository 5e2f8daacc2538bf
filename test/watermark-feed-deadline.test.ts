/**
 * The watermark feed sends one watermark at a time, so one that never ends would stop the feed for good.
 * Against a real watermark URL that takes the request and never answers, with full collections forced all
 * along (nodejs/node#57736: Node 20 collects the timer behind AbortSignal.timeout inside AbortSignal.any),
 * each send ends within the deadline, and the next one goes once the upstream answers. (Before the feed
 * owned its timer this held only because the request happened to keep the feed's own timeout signal alive.)
 */
import t from 'tap'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { WatermarkFeed } from '../gateway/forward/watermark-feed.js'
import { WebhookSink } from '../gateway/forward/webhook-sink.js'
import { silentLogger } from '../shared/log.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { until } from './helpers/wait.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const TIMEOUT_MS = 300

t.test('a watermark URL that never answers: each send ends within its deadline under GC, and the feed goes on', async t => {
  const upstream = new WebhookUpstream()
  await upstream.start()
  let hang = true
  upstream.respond(() => (hang ? { status: 204, hang: 'request' } : { status: 204 }))
  const sink = new WebhookSink({ url: upstream.url, timeoutMs: TIMEOUT_MS, watermarkUrl: upstream.url.replace(/punches$/, 'watermark') })
  let n = 0
  const feed = new WatermarkFeed({
    sink,
    compute: () => ({ gateway: 'gw-test', at: new Date().toISOString(), devices: [{ device: 'T-1', site: '', before: new Date(++n * 1000).toISOString(), beforeMs: n * 1000, heldBy: 'test' }], sites: [] }),
    intervalMs: 60_000,
    timeoutMs: TIMEOUT_MS,
    log: silentLogger()
  })
  const pressure = setInterval(gc, 20)
  t.teardown(async () => { clearInterval(pressure); feed.stop(); await upstream.close() })

  let ended = false
  void feed.send().then(() => { ended = true })
  await until(() => ended, 'the first watermark to end at its deadline', 10_000)
  t.equal(upstream.requests.length, 1, 'the hung watermark was sent once')
  hang = false
  await feed.send()
  t.equal(upstream.requests.length, 2, 'the next watermark goes: the feed is not wedged')
})
