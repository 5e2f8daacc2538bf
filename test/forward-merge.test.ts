/**
 * After an outage a recovering upstream gets few large requests, not one per small batch formed during it:
 * batches the upstream certainly did not take (every attempt refused with 503, or no connection) are
 * merged into one new batch under a new key, up to forward.batchSize. A batch the upstream may have taken
 * (a timeout) is never merged: it goes again alone under its own key (docs/DESIGN-NOTES.md, "Merging
 * batches after an outage"). Real SQLite, the real webhook sink, a real HTTP upstream.
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { openDatabase, type Db } from '../gateway/store/db.js'
import { ForwardStore } from '../gateway/store/forward-store.js'
import { Forwarder } from '../gateway/forward/forwarder.js'
import { WebhookSink } from '../gateway/forward/webhook-sink.js'
import { silentLogger } from '../shared/log.js'
import { WebhookUpstream, type WebhookAnswer } from '../fakes/upstream/webhook-upstream.js'
import { storePunches } from './fixtures/stored-punches.js'
import { until } from './helpers/wait.js'

const BATCH_SIZE = 100
const CONCURRENCY = 2
/**
 * Requests a recovering upstream may get for 90 punches: one per batch size, plus one per slot for a batch
 * in flight when it came back or formed while the merged one was (a batch in flight is never merged).
 */
const AFTER_RECOVERY = CONCURRENCY + Math.ceil(90 / BATCH_SIZE)

async function rig (t: Test, timeoutMs = 5000): Promise<{ db: Db, store: ForwardStore, sink: WebhookUpstream, forwarder: Forwarder }> {
  const db = openDatabase(join(t.testdir(), 'gw.db'))
  const store = new ForwardStore(db)
  const sink = new WebhookUpstream()
  await sink.start()
  const forwarder = new Forwarder({
    store,
    sink: new WebhookSink({ url: sink.url, timeoutMs }),
    gatewayId: 'gw-test',
    batchSize: BATCH_SIZE,
    lingerMs: 0,
    concurrency: CONCURRENCY,
    backoff: { baseMs: 20, capMs: 150 },
    logger: silentLogger(),
    pollMs: 50
  })
  t.teardown(async () => { await forwarder.stop(); await sink.close(); db.close() })
  return { db, store, sink, forwarder }
}

/** Punches arrive a few at a time during the outage, each group after the forwarder has failed again. */
async function trickle (db: Db, sink: WebhookUpstream, groups: number, size: number): Promise<void> {
  let seq = 0
  for (let g = 0; g < groups; g++) {
    const seen = sink.requests.length
    storePunches(db, 'T-1', Array.from({ length: size }, () => ++seq))
    await sink.waitFor(() => sink.requests.length > seen)
    await sleep(5)
  }
}

t.test('an outage of 503s: the recovering upstream gets a few full requests under new keys, every punch once', async t => {
  const { db, store, sink, forwarder } = await rig(t)
  let down = true
  sink.respond(() => (down ? { status: 503 } : { status: 200 }))
  forwarder.start()
  await trickle(db, sink, 30, 3)
  const failedKeys = new Set(sink.requests.map(r => String(r.headers['idempotency-key'])))
  t.ok(failedKeys.size >= 10, `small batches formed during the outage, one per group that arrived (${failedKeys.size} keys refused)`)

  down = false
  const recoveredAt = sink.requests.length
  await until(() => store.backlog().pendingPunches === 0, 'the backlog to drain')
  const after = sink.requests.slice(recoveredAt)
  t.ok(after.length <= AFTER_RECOVERY, `90 punches after recovery in ${after.length} requests (at most ${AFTER_RECOVERY})`)
  t.equal(sink.received.size, 90)
  t.ok([...sink.received.values()].every(n => n === 1), 'every punch once')
  t.ok(after.every(r => (r.body?.punches.length ?? 0) <= BATCH_SIZE), 'no request over forward.batchSize')
  const merges = sink.requests.filter(r => (r.body?.punches.length ?? 0) > 3)
  t.ok(merges.length > 0 && merges.every(r => sink.requests.filter(q => q.headers['idempotency-key'] === r.headers['idempotency-key']).every(q => q.body?.punches.length === r.body?.punches.length)),
    'a merged batch is a new batch, with a key of its own: never a key sent before with fewer punches')
})

t.test('an upstream that is gone (connection refused), then back: a few full requests after it returns', async t => {
  const { db, store, sink, forwarder } = await rig(t)
  const port = Number(new URL(sink.url).port)
  await sink.close()
  forwarder.start()
  let seq = 0
  for (let g = 0; g < 30; g++) {
    const failures = forwarder.stats().failures.retry
    storePunches(db, 'T-1', [++seq, ++seq, ++seq])
    await until(() => forwarder.stats().failures.retry > failures, 'a refused attempt')
  }
  t.match(forwarder.stats().lastError, /ECONNREFUSED/)
  await sink.start(port)
  await until(() => store.backlog().pendingPunches === 0, 'the backlog to drain')
  t.ok(sink.requests.length <= AFTER_RECOVERY, `90 punches in ${sink.requests.length} requests once it is back (at most ${AFTER_RECOVERY})`)
  t.equal(sink.received.size, 90)
  t.ok([...sink.received.values()].every(n => n === 1), 'every punch once')
})

t.test('the upstream may have taken a batch that timed out: it is never merged, and goes again alone under its key', async t => {
  const { db, store, sink, forwarder } = await rig(t, 200)
  let phase: 'hang' | 'down' | 'up' = 'hang'
  sink.respond((): WebhookAnswer => (phase === 'hang' ? { status: 200, hang: 'body' } : phase === 'down' ? { status: 503 } : { status: 200 }))
  storePunches(db, 'T-1', [1, 2, 3])
  forwarder.start()
  await sink.waitFor(() => sink.requests.length >= 1)
  const takenKey = String(sink.requests[0].headers['idempotency-key'])
  phase = 'down'
  let seq = 3
  for (let g = 0; g < 10; g++) {
    const seen = sink.requests.length
    storePunches(db, 'T-1', [++seq, ++seq])
    await sink.waitFor(() => sink.requests.length > seen)
  }
  phase = 'up'
  await until(() => store.backlog().pendingPunches === 0, 'the backlog to drain')
  const lastCopy = sink.requests.filter(r => r.body?.punches.some(p => p.id.endsWith(':1')) === true).at(-1)
  t.equal(lastCopy?.headers['idempotency-key'], takenKey, 'the batch the upstream took with its answer held went again under its own key')
  t.equal(lastCopy?.body?.punches.length, 3, 'alone')
  t.equal(sink.duplicates, [...sink.retried.values()].reduce((a, b) => a + b, 0), 'copies beyond the first only under a key already taken')
})
