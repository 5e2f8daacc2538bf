/**
 * `roster.unknown: "hold"` on cluster nodes, with real processes: a private Mosquitto and PostgreSQL, two
 * `punchline gateway --cluster` nodes and a real webhook upstream. A device batch holds a known badge's
 * punches and an unknown badge's: the known go out at once under their batch's key, the unknown one does
 * not reach the upstream and waits in dead letters as `unmapped` (`punchline deadletters list --cluster`);
 * `punchline roster add ... --cluster` mapping its badge sends it by itself, with its employee, exactly
 * once, replayed by one node (docs/DESIGN-NOTES.md, "Held badges on cluster nodes").
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
import { connectDevice } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'

const id = (seq: number): string => `T-1:9f2c41d0:${seq}`
const HELD = id(2)

t.test('hold on cluster nodes: an unknown badge waits in dead letters, the known go out; a roster entry sends it once with its employee', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-cluster-hold-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startPostgres(t)
  const db = await server.database()
  const broker = await startMosquitto(t)
  const upstream = new WebhookUpstream()
  await upstream.start()
  t.teardown(async () => await upstream.close())

  const config = {
    gatewayId: 'hold-test',
    roster: { unknown: 'hold' },
    upstream: { url: upstream.url },
    http: { port: 0 },
    forward: { batchSize: 16, concurrency: 2, backoffBaseMs: 100, backoffCapMs: 1000 },
    cluster: { broker: { url: broker.url }, postgres: connectionString(db), group: 'hold', leaseMs: 10_000, pollMs: 50, statsSeconds: 0.5 }
  }
  const adminConfig = join(dir, 'admin.json')
  writeFileSync(adminConfig, JSON.stringify(config))
  // The roster covers T-1 (C-1 is ada) before the nodes start; X-9 is mapped by no one.
  const added = await cliAsync(['roster', 'add', 'C-1', 'ada', '--device', 'T-1', '--cluster', '--config', adminConfig])
  t.equal(added.status, 0, added.stderr)
  const nodes = ['n1', 'n2'].map(n => startClusterNode(t, dir, n, config))
  await Promise.all(nodes.map(async n => await n.ready()))
  t.notOk(nodes.some(n => n.logs.some(l => /not in cluster mode yet/.test(l.msg))), 'no node warns that hold is not there')

  const device = await connectDevice(broker.url, 'T-1')
  t.teardown(async () => await device.close())
  const ts = Date.now() - 60_000
  const punches = [[1, 'C-1'], [2, 'X-9'], [3, 'C-1']].map(([seq, emp]) => ({ seq, ts: ts + Number(seq), emp, kind: 'in', method: 'card' }))
  await device.publish({ v: 1, id: 'b1', epoch: '9f2c41d0', tz: 0, punches })
  const ack = await device.ackFor('b1', 30_000)
  t.same('rejected' in ack ? ack.rejected : undefined, [], 'the device batch is stored whole')

  const pgc = new pg.Client(db)
  await pgc.connect()
  t.teardown(async () => await pgc.end())
  const count = async (sql: string): Promise<number> => Number((await pgc.query<{ n: string }>(sql)).rows[0].n)
  await until(() => upstream.received.get(id(1)) === 1 && upstream.received.get(id(3)) === 1, 'the known badge\'s punches to reach the upstream', 30_000, 100)
  await until(async () => await count('SELECT count(*) AS n FROM outbox') === 0, 'the outbox to empty', 30_000, 100)
  t.notOk(upstream.received.has(HELD), 'the unknown badge\'s punch did not reach the upstream')
  const first = upstream.requests.find(r => r.body?.punches.some(p => p.id === id(1)) === true)
  t.same(first?.body?.punches.map(p => [p.id, p.employee]), [[id(1), 'ada'], [id(3), 'ada']], 'the known punches went in one batch, without the held one')
  const key = first?.headers['idempotency-key']
  const underKey = upstream.requests.filter(r => r.headers['idempotency-key'] === key)
  t.ok(underKey.every(r => r.body?.punches.map(p => p.id).join() === [id(1), id(3)].join()), 'every send under that key carried the same punches')

  const listed = await cliAsync(['deadletters', 'list', '--cluster', '--config', adminConfig, '--json'])
  t.equal(listed.status, 0, listed.stderr)
  const rows = JSON.parse(listed.stdout) as DeadLetter[]
  t.same(rows.map(r => [r.punch, r.kind, r.emp]), [[HELD, 'unmapped', 'X-9']], 'the held punch is listed as unmapped')
  t.match(rows[0].reason, /no roster entry maps 'X-9' on T-1/)
  const parked = nodes.reduce((n, node) => n + node.logs.filter(l => /held until a roster entry maps/.test(l.msg)).length, 0)
  t.equal(parked, 1, 'one node parked it, once')

  // A roster entry maps it: it goes out by itself, with its employee, once.
  const mapped = await cliAsync(['roster', 'add', 'X-9', 'bob', '--device', 'T-1', '--cluster', '--config', adminConfig])
  t.equal(mapped.status, 0, mapped.stderr)
  await until(() => upstream.received.get(HELD) === 1, 'the held punch to reach the upstream once the roster maps it', 30_000, 100)
  await until(async () => await count('SELECT count(*) AS n FROM outbox') === 0, 'the outbox to empty again', 30_000, 100)
  const sent = upstream.requests.filter(r => r.body?.punches.some(p => p.id === HELD) === true)
  t.same(sent.flatMap(r => r.body?.punches.map(p => [p.id, p.employee]) ?? []), [[HELD, 'bob']], 'sent alone, with its employee')
  t.not(sent[0].headers['idempotency-key'], key, 'under a key of its own')
  const released = nodes.filter(n => n.logs.some(l => /roster now maps punches/.test(l.msg))).map(n => n.nodeId)
  t.equal(released.length, 1, `one node replayed it (${released.join()})`)
  const after = await cliAsync(['deadletters', 'list', '--cluster', '--config', adminConfig])
  t.match(after.stdout, /no dead letters/)

  t.same(Object.fromEntries(upstream.received), { [id(1)]: 1, [id(2)]: 1, [id(3)]: 1 }, 'each punch once upstream')
})
