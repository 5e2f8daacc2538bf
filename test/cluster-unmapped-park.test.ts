/**
 * The store's side of `roster.unknown: "hold"` on cluster nodes, on a real PostgreSQL with two nodes' stores
 * (gateway/cluster/postgres/dead-letters.ts `parkInBatch`, unmapped-release.ts): a park takes punches out of
 * the held batch, which keeps its key for the rest; it parks nothing when the roster moved since the node
 * judged, or when the claim's lease ran out; releases run by two nodes and a hand replay at once put
 * each waiting punch back in the outbox once; and of two nodes' releasers only the first live node by id
 * looks (gateway/cluster/node/unmapped-release.ts).
 */
import t, { type Test } from 'tap'
import pg from 'pg'
import { PostgresClusterStore } from '../gateway/cluster/postgres/postgres-cluster-store.js'
import type { JobRows } from '../gateway/cluster/cluster-store.js'
import { pickMapped } from '../gateway/cluster/unmapped-letters.js'
import { SiteMap } from '../gateway/rules/sites.js'
import { startPostgres } from './helpers/postgres.js'
import { until } from './helpers/wait.js'
import { UnmappedRelease } from '../gateway/cluster/node/unmapped-release.js'
import { silentLogger } from '../shared/log.js'

const T0 = Date.parse('2026-12-07T08:00:00.000Z')

function job (device: string, emps: string[], from = 1): JobRows {
  return { received: T0, rows: emps.map((emp, i) => ({ device, epoch: '9f2c41d0', tz: 0, flags: '', punch: { seq: from + i, ts: T0 + i, emp, kind: 'in', method: 'card', clock: 'synced' } })) }
}

async function twoNodes (t: Test, leaseMs = 10_000): Promise<{ a: PostgresClusterStore, b: PostgresClusterStore, c: pg.Client }> {
  const server = await startPostgres(t)
  const config = await server.database()
  const a = await PostgresClusterStore.open({ ...config, poolSize: 2, leaseMs })
  const b = await PostgresClusterStore.open({ ...config, poolSize: 2, leaseMs })
  const c = new pg.Client(config)
  await c.connect()
  t.teardown(async () => { await c.end(); await a.close(); await b.close() })
  return { a, b, c }
}

const count = async (c: pg.Client, sql: string): Promise<number> => Number((await c.query<{ n: string }>(sql)).rows[0].n)

t.test('a park takes the held punches out of the batch, which keeps its key; not when the roster moved or the lease ran out', async t => {
  const { a, b, c } = await twoNodes(t)
  await a.commit([job('D-1', ['E1', 'X', 'E3'])])
  const batch = await a.claim({ size: 10, node: 'n1' })
  if (batch === undefined) throw new Error('nothing to claim')
  const held = batch.punches.filter(p => p.emp === 'X').map(p => p.id)
  const version = await a.rosterVersion()

  await b.putRoster([{ scope: 'device:D-1', badge: 'E1', employee: 'ada', name: null }])
  t.equal(await a.park(batch, held, { reason: 'held', node: 'n1', rosterVersion: version }), 'roster-moved', 'judged by an older roster: nothing parked')
  t.equal(await count(c, 'SELECT count(*) AS n FROM dead_letters'), 0)

  t.equal(await a.park(batch, held, { reason: 'held', node: 'n1', rosterVersion: await a.rosterVersion() }), 1, 'parked under the lease')
  t.same((await c.query('SELECT batch FROM outbox ORDER BY punch_id')).rows.map(r => r.batch), [batch.key, batch.key], 'the rest stays in the batch, under its key')
  t.same((await c.query('SELECT kind, reason, node FROM dead_letters')).rows, [{ kind: 'unmapped', reason: 'held', node: 'n1' }])
  t.ok(await a.complete(batch))
  t.equal(await count(c, 'SELECT count(*) AS n FROM outbox'), 0, 'delivered: the outbox is empty, the held punch waits in dead letters')
})

t.test('a park after the lease ran out parks nothing', async t => {
  const { a, b, c } = await twoNodes(t, 200)
  await a.commit([job('D-1', ['E1', 'X'])])
  const batch = await a.claim({ size: 10, node: 'n1' })
  if (batch === undefined) throw new Error('nothing to claim')
  let taken: Awaited<ReturnType<typeof b.claim>>
  await until(async () => (taken = await b.claim({ size: 10, node: 'n2' })) !== undefined, 'n2 to claim the batch once n1\'s lease ran out', 20_000, 50)
  t.equal(taken?.key, batch.key)
  t.equal(await a.park(batch, [batch.punches[1].id], { reason: 'held', node: 'n1', rosterVersion: await a.rosterVersion() }), undefined, 'the claim is lost')
  t.equal(await count(c, 'SELECT count(*) AS n FROM dead_letters'), 0)
  t.equal(await count(c, 'SELECT count(*) AS n FROM outbox'), 2)
})

t.test('releases by two nodes and a hand replay at once: each waiting punch back in the outbox once, only those the roster maps', async t => {
  const { a, b, c } = await twoNodes(t)
  const emps = Array.from({ length: 60 }, (_, i) => i % 3 === 0 ? 'NOBODY' : 'X')
  await a.commit([job('D-1', emps)])
  const batch = await a.claim({ size: 100, node: 'n1' })
  if (batch === undefined) throw new Error('nothing to claim')
  await a.putRoster([{ scope: 'device:D-1', badge: 'E1', employee: 'ada', name: null }])
  t.equal(await a.park(batch, batch.punches.map(p => p.id), { reason: 'held', node: 'n1', rosterVersion: await a.rosterVersion() }), 60)
  t.ok(await a.complete(batch), 'an emptied batch completes')

  await b.putRoster([{ scope: 'device:D-1', badge: 'X', employee: 'xavier', name: null }])
  const pick = pickMapped(new SiteMap({}))
  const runs = await Promise.allSettled([
    ...Array.from({ length: 4 }, async () => await a.releaseMapped(pick)),
    ...Array.from({ length: 4 }, async () => await b.releaseMapped(pick))
  ])
  const released = runs.reduce((n, r) => n + (r.status === 'fulfilled' ? r.value?.released ?? 0 : 0), 0)
  const late = await a.releaseMapped(pick)
  t.equal(released + (late?.released ?? 0), 40, 'the 40 mapped punches released once between them')
  t.equal(await count(c, 'SELECT count(*) AS n FROM outbox'), 40)
  t.equal(await count(c, "SELECT count(*) AS n FROM dead_letters WHERE replayed IS NULL AND kind = 'unmapped'"), 20, 'the unmapped ones still wait')
  t.equal(await count(c, "SELECT count(*) AS n FROM dead_letters d JOIN punches p ON p.id = d.punch_id WHERE d.replayed IS NOT NULL AND p.emp <> 'X'"), 0)

  // A hand replay racing a release: still once each.
  await b.putRoster([{ scope: 'device:D-1', badge: 'NOBODY', employee: 'nemo', name: null }])
  const raced = await Promise.allSettled([a.releaseMapped(pick), b.replayDeadLetters('unmapped')])
  const n = raced.reduce((s, r) => s + (r.status !== 'fulfilled' ? 0 : typeof r.value === 'number' ? r.value : r.value?.released ?? 0), 0)
  t.equal(n, 20, 'the last 20 replayed once, by one or the other')
  t.equal(await count(c, 'SELECT count(*) AS n FROM outbox'), 60)
  t.equal(await count(c, 'SELECT count(*) AS n FROM dead_letters WHERE replayed IS NULL'), 0)
})

t.test('the releaser: the first live node by id looks when the roster moves; the other does not; a punch an upstream did not know goes too', async t => {
  const { a, b, c } = await twoNodes(t)
  const counts = { acked: 0, unacked: 0, punchesDelivered: 0, failed: 0, leaseLost: 0, queuedRows: 0, claimsHeld: 0 }
  for (const nodeId of ['n1', 'n2']) await a.beat({ nodeId, host: 'h', pid: 1, version: '0', broker: 'mqtt://b', startedAt: T0, intervalMs: 60_000, counts })
  const log = silentLogger()
  const sites = new SiteMap({})
  const n1 = new UnmappedRelease({ store: a, nodeId: 'n1', sites, log })
  const n2 = new UnmappedRelease({ store: b, nodeId: 'n2', sites, log })
  // An upstream's "no such employee" (kind unmapped, whatever roster.unknown says).
  await a.commit([job('D-1', ['Y'])])
  const batch = await a.claim({ size: 10, node: 'n1' })
  if (batch === undefined) throw new Error('nothing to claim')
  t.equal(await a.deadLetter(batch, { status: 417, reason: 'No Employee found', kind: 'unmapped', node: 'n1' }), 1)
  t.equal(await n1.check(), 0, 'the releaser looks at once: nothing mapped')
  t.equal(await n1.check(), 0, 'and not again while the version stays')

  await b.putRoster([{ scope: 'device:D-1', badge: 'Y', employee: 'yann', name: null }])
  t.equal(await n2.check(), 0, 'n2 is not the releaser while n1 is alive')
  t.equal(await count(c, 'SELECT count(*) AS n FROM outbox'), 0)
  t.equal(await n1.check(), 1, 'n1 replays it once the roster moved')
  t.equal(await count(c, 'SELECT count(*) AS n FROM outbox'), 1)

  await a.beat({ nodeId: 'n1', host: 'h', pid: 1, version: '0', broker: 'mqtt://b', startedAt: T0, intervalMs: 60_000, counts, stopping: true })
  await a.commit([job('D-1', ['Z'], 2)])
  const next = await a.claim({ size: 10, node: 'n1' })
  if (next === undefined) throw new Error('nothing to claim')
  t.equal(next.punches.length, 2)
  t.equal(await a.park(next, [next.punches[1].id], { reason: 'held', node: 'n1', rosterVersion: await a.rosterVersion() }), 1)
  await a.putRoster([{ scope: 'device:D-1', badge: 'Z', employee: 'zoe', name: null }])
  t.equal(await n2.check(), 1, 'n1 stopped: n2 is the releaser and looks')
})
