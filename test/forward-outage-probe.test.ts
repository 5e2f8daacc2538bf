/**
 * An upstream that fails fast (connection refused, an instant 503) while a backlog waits: the forwarder
 * probes it with one request at a time on a backoff of its own, instead of forming a batch of the backlog
 * for every slot a failure frees and sending each at once. When the upstream answers again, forwarding
 * goes back to full concurrency. Real SQLite, the real webhook sink, a real HTTP upstream and a real
 * refused port (docs/DESIGN-NOTES.md, "One probe while the upstream is failing").
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { openDatabase, type Db } from '../gateway/store/db.js'
import { ForwardStore } from '../gateway/store/forward-store.js'
import { Forwarder } from '../gateway/forward/forwarder.js'
import { WebhookSink } from '../gateway/forward/webhook-sink.js'
import { silentLogger } from '../shared/log.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { storePunches } from './fixtures/stored-punches.js'
import { until } from './helpers/wait.js'

const BACKLOG = 2000
const BATCH_SIZE = 10
const CONCURRENCY = 2
const BACKOFF = { baseMs: 50, capMs: 400 }
const OUTAGE_MS = 2000

async function rig (t: Test): Promise<{ db: Db, store: ForwardStore, sink: WebhookUpstream, forwarder: Forwarder }> {
  const db = openDatabase(join(t.testdir(), 'gw.db'))
  const store = new ForwardStore(db)
  const sink = new WebhookUpstream()
  await sink.start()
  const forwarder = new Forwarder({
    store,
    sink: new WebhookSink({ url: sink.url, timeoutMs: 2000 }),
    gatewayId: 'gw-test',
    batchSize: BATCH_SIZE,
    lingerMs: 0,
    concurrency: CONCURRENCY,
    backoff: BACKOFF,
    logger: silentLogger(),
    pollMs: 100
  })
  t.teardown(async () => { await forwarder.stop(); await sink.close(); db.close() })
  storePunches(db, 'T-1', Array.from({ length: BACKLOG }, (_, i) => i + 1))
  return { db, store, sink, forwarder }
}

/**
 * The most attempts a probe on this backoff makes in the outage: one per doubling up to the cap, then one
 * per cap (full jitter makes them sooner on average, so twice that), and the slots in flight when the
 * first failure came.
 */
const MOST_ATTEMPTS = CONCURRENCY + 2 * (Math.log2(BACKOFF.capMs / BACKOFF.baseMs) + OUTAGE_MS / BACKOFF.capMs)

t.test('connection refused: one probe at a time on a backoff, no batches formed for the backlog; full speed once it is back', async t => {
  const { store, sink, forwarder } = await rig(t)
  const port = Number(new URL(sink.url).port)
  await sink.close()
  forwarder.start()
  await sleep(OUTAGE_MS)
  const attempts = forwarder.stats().failures.retry
  const batches = store.backlog().batches
  t.ok(attempts <= MOST_ATTEMPTS, `${attempts} attempts in ${OUTAGE_MS} ms of outage (at most ${MOST_ATTEMPTS.toFixed(0)})`)
  t.ok(batches <= CONCURRENCY, `${batches} batches formed of a backlog of ${BACKLOG / BATCH_SIZE} (at most ${CONCURRENCY}: those in flight at the first failure)`)
  t.match(forwarder.stats().failingSince, Number, 'the forwarder says since when the upstream fails')

  await sink.start(port)
  let most = 0
  sink.respond(() => { most = Math.max(most, forwarder.stats().inFlight); return { status: 200 } })
  await until(() => store.backlog().pendingPunches === 0, 'the backlog to drain', 30_000)
  t.equal(sink.received.size, BACKLOG, 'every punch delivered')
  t.ok([...sink.received.values()].every(n => n === 1), 'once')
  t.equal(most, CONCURRENCY, `back to ${CONCURRENCY} requests at once after the upstream answered`)
  t.equal(forwarder.stats().failingSince, null, 'and no longer failing')
})

t.test('an instant 503: the same, and a 200 ends it', async t => {
  const { store, sink, forwarder } = await rig(t)
  let down = true
  sink.respond(() => (down ? { status: 503 } : { status: 200 }))
  forwarder.start()
  await sleep(OUTAGE_MS)
  const requests = sink.requests.length
  t.ok(requests <= MOST_ATTEMPTS, `${requests} requests in ${OUTAGE_MS} ms of 503s (at most ${MOST_ATTEMPTS.toFixed(0)})`)
  t.ok(store.backlog().batches <= CONCURRENCY, `${store.backlog().batches} batches formed`)
  down = false
  await until(() => store.backlog().pendingPunches === 0, 'the backlog to drain', 30_000)
  t.equal(sink.received.size, BACKLOG)
  t.equal(forwarder.stats().failingSince, null)
})
