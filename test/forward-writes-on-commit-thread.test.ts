/**
 * The forwarder's outbox writes (recording a delivery, claiming batches) go through the commit thread's
 * connection (gateway/store/outbox-writes.ts), not the event loop's: with the commits on a thread, the
 * loop's own writes waited for that thread's write lock inside SQLite's busy handler, asleep, holding every
 * socket (docs/DESIGN-NOTES.md, "The forwarder's writes on the commit thread"). A real gateway process, a
 * real upstream, and the test's own connection holding the write lock while a delivery is answered.
 */
import t, { type Test } from 'tap'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { openDatabase, type Db } from '../gateway/store/db.js'
import { PunchStore } from '../gateway/store/punch-store.js'
import { ForwardStore } from '../gateway/store/forward-store.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { startGatewayProcess, writeGatewayConfig, type GatewayProcess } from './helpers/gateway-process.js'
import { until } from './helpers/wait.js'

const T0 = Date.parse('2026-11-01T00:00:00.000Z')
const PUNCHES = 20
/** the upstream answers the first request this late, while the test holds the write lock */
const ANSWER_AFTER_MS = 1000
/** the longest the lock is held while the test waits for an HTTP answer: inside the gateway's busy timeout (5 s) */
const MAX_HOLD_MS = 4500

function seed (dataDir: string, count = PUNCHES, formed = 0): string {
  const file = join(dataDir, 'punchline.db')
  const db = openDatabase(file)
  const punches = new PunchStore(db)
  punches.write(() => {
    for (let seq = 1; seq <= count; seq++) {
      punches.insert({ device: 'W1', epoch: '0000000a', tz: undefined, flags: '', punch: { seq, ts: T0 + seq * 1000, emp: 'E1', kind: 'in', method: 'card', clock: 'synced' } }, Date.now())
    }
  })
  // Batches already in the outbox, due: what an outage leaves behind.
  const outbox = new ForwardStore(db)
  for (let i = 0; i < formed; i++) outbox.formBatch(count / formed, T0)
  db.close()
  return file
}

/**
 * A gateway process forwarding `file`'s punches to an upstream answering after `answerAfterMs`; once the
 * first request is in, the test's own connection takes the write lock (released with COMMIT).
 */
async function lockedWhileForwarding (t: Test, dataDir: string, file: string, answerAfterMs: number, forward?: Record<string, number>): Promise<{ sink: WebhookUpstream, gw: GatewayProcess, locker: Db }> {
  const sink = new WebhookUpstream()
  sink.respond(() => ({ status: 200, delayMs: answerAfterMs }))
  const url = await sink.start()
  t.teardown(async () => await sink.close())
  const args = forward === undefined ? [] : ['--config', writeGatewayConfig(dirname(dataDir), { forward })]
  const gw = await startGatewayProcess({ dataDir, upstream: url, allowAnonymous: true, args })
  t.teardown(async () => await gw.stop())
  await until(() => sink.requests.length >= 1, 'the first upstream request')
  const locker = openDatabase(file)
  t.teardown(() => { if (locker.inTransaction) locker.exec('ROLLBACK'); locker.close() })
  locker.exec('BEGIN IMMEDIATE')
  return { sink, gw, locker }
}

t.test('a delivery answered while another connection holds the write lock does not hold the event loop; it is recorded once the lock is free', async t => {
  const dataDir = join(t.testdir(), 'gw')
  const file = seed(dataDir)
  const { sink, gw, locker } = await lockedWhileForwarding(t, dataDir, file, ANSWER_AFTER_MS)
  // The answer arrives while the lock is held; the forwarder now records the delivery, and waits for the lock.
  await sleep(ANSWER_AFTER_MS + 300)
  // The lock is kept until the gateway answers an HTTP request, or until MAX_HOLD_MS: an event loop asleep in
  // SQLite's busy handler could answer only after the COMMIT below, however long the machine takes.
  let heldWhenAnswered: boolean | undefined
  const answered = gw.api('/healthz').then(res => { heldWhenAnswered = locker.inTransaction; return res })
  await Promise.race([answered, sleep(MAX_HOLD_MS)])
  locker.exec('COMMIT')
  t.equal((await answered).status, 200)
  t.equal(heldWhenAnswered, true, 'the gateway answered HTTP while the lock was held')

  const reader = openDatabase(file)
  t.teardown(() => reader.close())
  const outbox = new ForwardStore(reader)
  await until(() => outbox.backlog().pendingPunches === 0 && outbox.backlog().batches === 0, () => `the delivery recorded: ${JSON.stringify(outbox.backlog())}`, 15_000)
  t.equal(sink.received.size, PUNCHES, 'every punch at the upstream')
  t.equal(sink.requests.length, 1, 'in one request: the delivery was recorded, not sent again')
})

t.test('while no delivery can be recorded, no more batches go out than forward.concurrency + forward.unrecordedBatches: a crash then sends at most those again', async t => {
  const dataDir = join(t.testdir(), 'gw')
  const file = seed(dataDir, 600, 6)
  const { sink, locker } = await lockedWhileForwarding(t, dataDir, file, 300, { concurrency: 2, unrecordedBatches: 2 })
  // Every request out now is answered within 300 ms; none of the answers can be recorded.
  await sleep(2000)
  t.equal(sink.requests.length, 4, 'two requests at once, two more once those were answered, and no more while their deliveries wait to be recorded')
  locker.exec('COMMIT')
  const reader = openDatabase(file)
  t.teardown(() => reader.close())
  const outbox = new ForwardStore(reader)
  await until(() => outbox.backlog().pendingPunches === 0 && outbox.backlog().batches === 0, () => `every delivery recorded: ${JSON.stringify(outbox.backlog())}`, 15_000)
  t.equal(sink.requests.length, 6, 'each batch once')
  t.equal(sink.received.size, 600)
})
