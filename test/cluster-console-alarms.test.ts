/**
 * A cluster's alarms, raised by its console (`punchline console --cluster`) from the shared store, with real
 * processes: a private PostgreSQL and Mosquitto, two `punchline gateway --cluster` nodes. One node killed
 * with SIGKILL raises node-stale (major: hr acknowledges it); a punch left in the shared outbox past
 * alarms.backlogAgeMinutes raises backlog-old; a dead letter raises dead-letters and its replay clears it;
 * the last node stopped raises no-node-alive (critical: admin only), which a node started again clears;
 * the store refusing the console's connections raises cluster-store-unreachable with its error, cleared
 * when it lets them in again. The gauges follow on the console's /metrics; `punchline alarms --cluster`
 * lists what the console lists.
 */
import t from 'tap'
import pg from 'pg'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PostgresClusterStore } from '../gateway/cluster/postgres/postgres-cluster-store.js'
import type { ListedAlarm } from '../gateway/alarm-book.js'
import { connectionString, startPostgres } from './helpers/postgres.js'
import { startMosquitto } from './helpers/mosquitto.js'
import { parkOneRefusedPunch } from './helpers/cluster-seed.js'
import { startClusterNode } from './helpers/cluster-node-process.js'
import { startClusterConsole } from './helpers/cluster-console-process.js'
import { addOperator, asSession, login, type Login } from './helpers/api-v1.js'
import { cliAsync } from './helpers/gateway-process.js'
import { until } from './helpers/wait.js'

// A live node must never look stale here (three missed beats): under a loaded CI machine a 300 ms beat
// can miss three, and n1 would then raise node-stale, or no-node-alive beside a dead n2.
const HEARTBEAT_MS = 1000

t.test('the cluster console raises, acknowledges and clears the cluster\'s alarms', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-cluster-alarms-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startPostgres(t)
  const db = await server.database()
  const postgres = connectionString(db)
  const broker = await startMosquitto(t)
  const nodeConfig = {
    gatewayId: 'alarms-test',
    http: { port: 0 },
    cluster: { broker: { url: broker.url.replace('mqtt://', 'mqtt://node:s3cret@') }, postgres, leaseMs: 2000, pollMs: 50, statsSeconds: 60, heartbeatMs: HEARTBEAT_MS }
  }
  const [n1, n2] = ['n1', 'n2'].map(id => startClusterNode(t, dir, id, nodeConfig))

  const data = join(dir, 'console-data')
  const c = startClusterConsole(t, dir, data, { http: { port: 0 }, cluster: { postgres }, alarms: { intervalSeconds: 0.2, backlogAgeMinutes: 0.01 } })
  await c.ready()
  const [admin, hr, viewer] = await Promise.all((['admin', 'hr', 'viewer'] as const).map(async role => await login(c, `op-${role}`, await addOperator(data, `op-${role}`, role))))

  let items: ListedAlarm[] = []
  const alarms = async (): Promise<ListedAlarm[]> => {
    const res = await asSession(c, viewer, 'GET', '/api/v1/alarms')
    if (res.status !== 200) throw new Error(`GET /api/v1/alarms: ${res.status}`)
    items = (await res.json() as { items: ListedAlarm[] }).items
    return items
  }
  const raised = (name: string, device?: string): ListedAlarm | undefined => items.find(a => a.name === name && (device === undefined || a.device === device))
  const waitFor = async (what: string, cond: () => boolean): Promise<void> => {
    await until(async () => { await alarms(); return cond() }, () => `${what} (alarms: ${JSON.stringify(items)})`, 30_000)
  }
  const ack = async (s: Login, name: string, device?: string): Promise<Response> =>
    await asSession(c, s, 'POST', `/api/v1/alarms/${name}/ack${device === undefined ? '' : `?device=${device}`}`)

  await waitFor('both nodes alive: no node alarm', () => items.length === 0)

  n2.kill9()
  await waitFor('node-stale for n2', () => raised('node-stale', 'n2') !== undefined)
  t.match(raised('node-stale', 'n2'), { severity: 'major', acked: null, message: /node n2 .*no heartbeat/ }, 'a dead node is a major alarm naming it')
  t.equal(raised('no-node-alive'), undefined, 'n1 still acks punches')
  const cli = await cliAsync(['alarms', '--cluster', '--config', join(dir, 'n1.json'), '--json'])
  t.equal(cli.status, 0, cli.stderr)
  t.match(JSON.parse(cli.stdout), [{ name: 'node-stale', device: 'n2', severity: 'major', message: /node n2 / }], 'punchline alarms --cluster judges as the console does')
  t.equal((await ack(viewer, 'node-stale', 'n2')).status, 403, 'a viewer may not acknowledge')
  t.equal((await ack(hr, 'node-stale', 'node.b')).status, 404, 'a node id may hold a dot: not raised, rather than refused as a device id would be')
  const byHr = await ack(hr, 'node-stale', 'n2')
  t.equal(byHr.status, 200, 'hr acknowledges a major alarm')
  t.match(await byHr.json(), { items: [{ name: 'node-stale', device: 'n2', acked: { by: 'op-hr' } }] })

  // A punch the upstream refused for good, through the store; replayed, it waits in the shared outbox,
  // which nothing forwards here (no upstream).
  const store = await PostgresClusterStore.open({ connectionString: postgres, poolSize: 1 })
  t.teardown(async () => await store.close())
  await parkOneRefusedPunch(store, Date.now())
  await waitFor('dead-letters', () => raised('dead-letters') !== undefined)
  t.match(raised('dead-letters'), { severity: 'major', message: /1 dead letter waits: 1 refused by the upstream/ }, 'the single box\'s dead-letters alarm')
  t.equal(raised('backlog-old'), undefined, 'nothing waits in the outbox yet')
  t.equal((await asSession(c, hr, 'POST', '/api/v1/dead-letters/replay', { all: true })).status, 200)
  await waitFor('dead-letters to clear once replayed, and backlog-old for the punch now waiting', () => raised('dead-letters') === undefined && raised('backlog-old') !== undefined)
  t.match(raised('backlog-old'), { message: /the oldest of 1 punches not yet accepted upstream was stored .* ago; the nodes' forwarders/ }, 'the single box\'s backlog alarm, from the shared outbox')

  t.equal(await n1.stop(), 0, 'the last node stops cleanly')
  await waitFor('no-node-alive', () => raised('no-node-alive') !== undefined)
  t.match(raised('no-node-alive'), { severity: 'critical', acked: null, message: /no gateway node is alive \(.*n1 stopped.*\): nothing acks punches/ })
  const metrics = await (await fetch(c.httpUrl + '/metrics')).text()
  t.match(metrics, /^punchline_alarm\{name="no-node-alive",severity="critical"\} 1$/m, 'the single box\'s gauge names on the console\'s /metrics')
  t.match(metrics, /^punchline_alarms_unacknowledged\{severity="critical"\} 1$/m)
  const hrCritical = await ack(hr, 'no-node-alive')
  t.match({ status: hrCritical.status, body: await hrCritical.json() }, { status: 403, body: { error: 'forbidden', message: /needs admin/ } }, 'hr may not acknowledge a critical alarm')
  t.equal((await ack(admin, 'no-node-alive')).status, 200, 'admin may')
  await until(async () => /^punchline_alarms_unacknowledged\{severity="critical"\} 0$/m.test(await (await fetch(c.httpUrl + '/metrics')).text()), 'the unacknowledged gauge to drop', 10_000)
  const audit = await (await asSession(c, admin, 'GET', '/api/v1/audit')).json() as { entries: Array<{ action: string, actor: string, target: string }> }
  t.same(audit.entries.filter(a => a.action === 'alarm.ack').map(a => `${a.actor} ${a.target}`).sort(), ['op-admin no-node-alive', 'op-hr node-stale/n2'], 'each acknowledgement audited')

  const again = startClusterNode(t, dir, 'n3', nodeConfig)
  await waitFor('no-node-alive to clear once a node is alive again', () => raised('no-node-alive') === undefined)
  t.equal((await cliAsync(['nodes', 'forget', 'n2', '--cluster', '--config', join(dir, 'n1.json')])).status, 0)
  await waitFor('node-stale to clear once the dead node is forgotten', () => raised('node-stale') === undefined)
  await again.stop()

  // The store refuses the console's connections: it cannot tell, and says so.
  const su = new pg.Client({ host: db.host, port: db.port, user: db.user, database: 'postgres' })
  await su.connect()
  t.teardown(async () => await su.end())
  await su.query(`ALTER DATABASE "${db.database}" ALLOW_CONNECTIONS false`)
  await su.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db.database])
  await waitFor('cluster-store-unreachable', () => raised('cluster-store-unreachable') !== undefined)
  t.match(raised('cluster-store-unreachable'), { severity: 'critical', message: /cannot read the shared store \(.*not currently accepting connections.*\)/ }, 'critical, with the store\'s error')
  await su.query(`ALTER DATABASE "${db.database}" ALLOW_CONNECTIONS true`)
  await waitFor('cluster-store-unreachable to clear', () => raised('cluster-store-unreachable') === undefined && raised('backlog-old') !== undefined)
})
