/**
 * The forwarder's watchdog, the defence behind every sink's own timeout: a delivery still outstanding
 * past its sink's deadline (Sink.deadlineMs) plus watchdogGraceMs is aborted, its slot freed, and its
 * batch sent again under its key. The sink here is the real webhook sink on a real HTTP upstream that
 * holds its answer, with a request timeout far beyond the deadline it declares: what a sink whose own
 * timer was lost looks like (Node 20 collected AbortSignal.timeout, nodejs/node#57736).
 */
import t from 'tap'
import { join } from 'node:path'
import { openDatabase } from '../gateway/store/db.js'
import { ForwardStore } from '../gateway/store/forward-store.js'
import { Forwarder } from '../gateway/forward/forwarder.js'
import { WebhookSink } from '../gateway/forward/webhook-sink.js'
import type { Sink } from '../gateway/forward/sink.js'
import { silentLogger } from '../shared/log.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { storePunches } from './fixtures/stored-punches.js'
import { until } from './helpers/wait.js'

const DECLARED_MS = 200

t.test('a delivery past its deadline is aborted by the watchdog and sent again under its key', async t => {
  const db = openDatabase(join(t.testdir(), 'gw.db'))
  const store = new ForwardStore(db)
  const upstream = new WebhookUpstream()
  await upstream.start()
  let hang = true
  upstream.respond(() => (hang ? { status: 200, hang: 'request' } : { status: 200 }))
  const webhook = new WebhookSink({ url: upstream.url, timeoutMs: 600_000 })
  const lostTimer: Sink = { name: 'webhook', deliver: async (b, signal) => await webhook.deliver(b, signal), deadlineMs: () => DECLARED_MS }
  const forwarder = new Forwarder({
    store,
    sink: lostTimer,
    gatewayId: 'gw-test',
    batchSize: 100,
    lingerMs: 0,
    concurrency: 1,
    backoff: { baseMs: 20, capMs: 50 },
    logger: silentLogger(),
    pollMs: 50,
    watchdogGraceMs: 100
  })
  t.teardown(async () => { await forwarder.stop(); await upstream.close(); db.close() })
  storePunches(db, 'T-1', [1, 2, 3])
  forwarder.start()

  await upstream.waitFor(() => upstream.requests.length >= 1)
  const [inFlight] = forwarder.inFlight()
  t.equal(inFlight.deadlineMs, DECLARED_MS, 'the delivery in flight carries its sink\'s deadline')
  t.ok(inFlight.startedAt <= Date.now(), 'and when it started')
  await upstream.waitFor(() => upstream.requests.length >= 2, 10_000)
  t.equal(forwarder.stats().watchdogAborts, 1, 'the watchdog aborted the first delivery')
  t.match(forwarder.stats().lastError, /^watchdog: no outcome within 200 ms/, 'and says so as the error')

  hang = false
  await until(() => store.backlog().pendingPunches === 0, 'the batch to be delivered')
  const keys = new Set(upstream.requests.map(r => r.headers['idempotency-key']))
  t.equal(keys.size, 1, 'every attempt under the one key')
  t.equal(upstream.received.size, 3)
  t.same(forwarder.inFlight(), [], 'nothing in flight once delivered')
})
