/**
 * Poison isolation on cluster nodes, with real processes: a private Mosquitto and PostgreSQL, two
 * `punchline gateway --cluster` nodes, and a real webhook upstream that refuses (422) any batch holding one
 * particular punch. As on the single box, the nodes split the refused batches under new keys until that
 * punch is alone, park it in dead letters and deliver everything else, each punch once (the claims and
 * leases still hold: no batch is sent by two nodes); the nodes count it; `punchline deadletters list
 * --cluster` shows it with the upstream's words, and `replay --cluster` sends it once the upstream takes it.
 */
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import type { DeadLetter } from '../gateway/store/forward-store.js'
import { startMosquitto } from './helpers/mosquitto.js'
import { connectionString, startPostgres } from './helpers/postgres.js'
import { startClusterNode } from './helpers/cluster-node-process.js'
import { cliAsync } from './helpers/gateway-process.js'
import { batch, connectDevice } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'

const REFUSED = 'T-1:9f2c41d0:17'

function metricSum (texts: string[], line: RegExp): number {
  return texts.reduce((n, text) => n + Number(line.exec(text)?.[1] ?? 0), 0)
}

t.test('a punch the upstream refuses for good: batches split until it is alone, parked, listed and replayed; the rest delivered once', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-cluster-dl-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startPostgres(t)
  const db = await server.database()
  const connection = connectionString(db)
  const broker = await startMosquitto(t)
  const upstream = new WebhookUpstream()
  await upstream.start()
  t.teardown(async () => await upstream.close())
  let refusing = true
  upstream.respond(req => refusing && req.body?.punches.some(p => p.id === REFUSED) === true
    ? { status: 422, body: '{"error":"employee E1017 is not on the payroll"}' }
    : { status: 200 })

  const config = {
    gatewayId: 'dl-test',
    upstream: { url: upstream.url },
    http: { port: 0 },
    forward: { batchSize: 16, concurrency: 2, backoffBaseMs: 100, backoffCapMs: 1000 },
    cluster: { broker: { url: broker.url }, postgres: connection, group: 'dl', leaseMs: 10_000, pollMs: 50, statsSeconds: 0.5 }
  }
  const adminConfig = join(dir, 'admin.json')
  writeFileSync(adminConfig, JSON.stringify(config))
  const nodes = ['n1', 'n2'].map(id => startClusterNode(t, dir, id, config))
  await Promise.all(nodes.map(async n => await n.ready()))

  const seqs = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i)
  const ids = new Set<string>()
  for (const device of ['T-1', 'T-2']) {
    const d = await connectDevice(broker.url, device)
    t.teardown(async () => await d.close())
    for (const [i, part] of [seqs(1, 20), seqs(21, 20)].entries()) {
      await d.publish(batch(device, part, { id: `${device}-${i}` }))
      await d.ackFor(`${device}-${i}`, 30_000)
      for (const s of part) ids.add(`${device}:9f2c41d0:${s}`)
    }
  }

  const pgc = new pg.Client(db)
  await pgc.connect()
  t.teardown(async () => await pgc.end())
  const count = async (sql: string): Promise<number> => Number((await pgc.query<{ n: string }>(sql)).rows[0].n)
  await until(async () => await count('SELECT count(*) AS n FROM outbox') === 0 && await count('SELECT count(*) AS n FROM dead_letters') === 1,
    'the outbox to empty with one dead letter', 60_000, 100)

  t.notOk(upstream.received.has(REFUSED), 'the refused punch was never taken')
  const others = [...ids].filter(id => id !== REFUSED)
  t.same(others.filter(id => upstream.received.get(id) !== 1), [], 'every other punch delivered, each once')
  t.equal(await count('SELECT count(*) AS n FROM forward_batches'), 0, 'no batch left')
  const refusals = upstream.requests.filter(r => r.body?.punches.some(p => p.id === REFUSED) === true)
  t.ok(refusals.length >= 2, `the refused punch's batch was split before it was alone (${refusals.length} refusals)`)
  t.equal(refusals.at(-1)?.body?.punches.length, 1, 'the last refusal held the refused punch alone')
  const keys = refusals.map(r => r.headers['idempotency-key'])
  t.equal(new Set(keys).size, keys.length, 'each split half went under a key of its own')

  const metrics = await Promise.all(nodes.map(async n => await n.metrics()))
  t.equal(metricSum(metrics, /^punchline_dead_letters_total (\d+)/m), 1, 'the nodes count the dead letter')
  t.equal(metricSum(metrics, /^punchline_forward_failures_total\{class="split"\} (\d+)/m), refusals.length, 'and each refusal')

  const listed = await cliAsync(['deadletters', 'list', '--cluster', '--config', adminConfig, '--json'])
  t.equal(listed.status, 0, listed.stderr)
  const rows = JSON.parse(listed.stdout) as DeadLetter[]
  t.same(rows.map(r => [r.punch, r.status, r.kind]), [[REFUSED, 422, 'refused']])
  t.match(rows[0].reason, /not on the payroll/)
  const text = await cliAsync(['deadletters', 'list', '--cluster', '--config', adminConfig])
  t.match(text.stdout, /T-1:9f2c41d0:17 .* 422 .*not on the payroll/)

  // The upstream is fixed: a replay sends it, once.
  refusing = false
  const replay = await cliAsync(['deadletters', 'replay', '--all', '--cluster', '--config', adminConfig])
  t.equal(replay.status, 0, replay.stderr)
  t.match(replay.stdout, /replayed 1 dead letter/)
  await until(() => upstream.received.get(REFUSED) === 1, 'the replayed punch to reach the upstream', 30_000, 100)
  await until(async () => await count('SELECT count(*) AS n FROM outbox') === 0, 'the outbox to empty again', 30_000, 100)
  const after = await cliAsync(['deadletters', 'list', '--cluster', '--config', adminConfig])
  t.match(after.stdout, /no dead letters/)
})
