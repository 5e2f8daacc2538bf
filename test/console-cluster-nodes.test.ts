/**
 * The web console of a cluster (`punchline console --cluster`) in headless Chromium over a private
 * PostgreSQL: the Nodes page shows each node's heartbeat state and counts and the cluster's alarms, the
 * menu offers only the pages a cluster's console has data for, the Dead letters page works on the
 * cluster's dead letters, and the Devices page shows the registry with the statuses the nodes stored,
 * read only.
 */
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PostgresClusterStore } from '../gateway/cluster/postgres/postgres-cluster-store.js'
import type { NodeBeat } from '../gateway/cluster/node-registry.js'
import { connectionString, startPostgres } from './helpers/postgres.js'
import { parkOneRefusedPunch } from './helpers/cluster-seed.js'
import { startClusterConsole } from './helpers/cluster-console-process.js'
import { addOperator } from './helpers/api-v1.js'
import { until } from './helpers/wait.js'
import { browserFor, goTo, logIn, openConsole, unexpected } from './helpers/console-page.js'

const T0 = Date.parse('2026-12-07T08:00:00Z')

function beat (nodeId: string, over: Partial<NodeBeat> = {}): NodeBeat {
  return { nodeId, host: `host-${nodeId}`, pid: 100, version: '0.1.0', broker: 'mqtt://broker:1883', startedAt: T0, intervalMs: 60_000, counts: { acked: 12, unacked: 1, punchesDelivered: 30, failed: 2, leaseLost: 0, queuedRows: 0, claimsHeld: 1 }, ...over }
}

t.test('a cluster console: the Nodes page by state, only the pages with data, the cluster\'s dead letters', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-console-cluster-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startPostgres(t)
  const postgres = connectionString(await server.database())
  const store = await PostgresClusterStore.open({ connectionString: postgres, poolSize: 1 })
  t.teardown(async () => await store.close())
  await store.beat(beat('n1'))
  await store.beat(beat('n2', { intervalMs: 100 }))
  await store.beat(beat('n3'))
  await store.beat(beat('n3', { stopping: true }))
  await until(async () => (await store.listNodes()).find(n => n.nodeId === 'n2')?.state === 'stale', 'n2 to be stale', 10_000)
  await parkOneRefusedPunch(store, T0)
  await store.putDeviceCredentials('D-NEVER', { mosquitto: '$7$unused', nats: '$2a$unused' }, 'new')
  await store.saveStatuses([{ device: 'D-1', status: { v: 1, online: true, fw: '2.1.0', ring: { capacity: 200, pending: 50, oldestPendingTs: null, overwritten: 0, refused: 0 } }, receivedAt: Date.now(), node: 'n1' }])

  const data = join(dir, 'console-data')
  const c = startClusterConsole(t, dir, data, { http: { port: 0 }, cluster: { postgres } })
  await c.ready()
  const vicPassword = await addOperator(data, 'vic', 'viewer')
  const adaPassword = await addOperator(data, 'ada', 'admin')

  const browser = await browserFor(t)
  const viewer = await openConsole(browser, c)
  await logIn(viewer.page, 'vic', vicPassword)
  await viewer.page.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor()
  const menu = viewer.page.getByRole('navigation', { name: 'pages' })
  t.same(await menu.getByRole('link').allTextContents(), ['Nodes', 'Devices'], 'a viewer of a cluster sees the Nodes and Devices pages only')
  await viewer.page.locator('tr[data-node="n3"]').waitFor()
  const states = await viewer.page.locator('tr[data-node]').evaluateAll(rows => rows.map(r => [r.getAttribute('data-node'), r.getAttribute('data-state')]))
  t.same(states, [['n1', 'alive'], ['n2', 'stale'], ['n3', 'stopped']], 'each node with its state')
  t.match(await viewer.page.locator('tr[data-node="n1"]').textContent(), /host-n1.*100.*0\.1\.0.*12.*1.*30.*2/, 'its host, pid, version and counts')
  t.match(await viewer.page.locator('[data-summary]').textContent(), /1 alive, 1 stale, 1 stopped/)
  t.equal(await viewer.page.locator('[data-tile="dead-letters"] b').textContent(), '1', 'the shared outbox\'s backlog above the nodes')
  t.equal(await viewer.page.locator('.live').count(), 0, 'no live badge: a cluster console has no event stream')
  const stale = viewer.page.locator('li[data-alarm="node-stale"]')
  await stale.waitFor()
  t.match(await stale.textContent(), /major node-stale \(n2\): node n2 on host-n2/, 'the cluster\'s alarms below the nodes')
  t.equal(await stale.getByRole('button', { name: 'Acknowledge' }).count(), 0, 'a viewer may not acknowledge')
  t.same(unexpected(viewer.errors), [], 'no errors on the page')
  await viewer.context.close()

  const admin = await openConsole(browser, c)
  await logIn(admin.page, 'ada', adaPassword)
  t.same(await admin.page.getByRole('navigation', { name: 'pages' }).getByRole('link').allTextContents(), ['Nodes', 'Dead letters', 'Devices', 'Operators', 'Audit log'], 'an admin: no fleet, punches or terminals pages')
  const staleForAdmin = admin.page.locator('li[data-alarm="node-stale"]')
  await staleForAdmin.getByRole('button', { name: 'Acknowledge' }).click()
  await staleForAdmin.getByText('acknowledged by ada').waitFor()
  t.pass('an admin acknowledges it from the Nodes page')
  await goTo(admin.page, 'Dead letters')
  await admin.page.getByRole('cell', { name: 'unknown employee' }).waitFor()
  await admin.page.getByRole('button', { name: 'Replay all' }).click()
  await admin.page.getByRole('status').waitFor()
  t.match(await admin.page.getByRole('status').textContent(), /1 sent again/, 'replayed from the page')
  t.same(await store.listDeadLetters({ limit: 10 }), [], 'none left open in the shared store')

  await goTo(admin.page, 'Devices')
  await admin.page.locator('tr[data-device="D-NEVER"]').waitFor()
  const rows = await admin.page.locator('tr[data-device]').evaluateAll(rs => rs.map(r => [r.getAttribute('data-device'), r.getAttribute('data-online')]))
  t.same(rows, [['D-1', 'true'], ['D-NEVER', 'false']], 'the stored status and the registered device never seen')
  t.match(await admin.page.locator('tr[data-device="D-1"]').textContent(), /online.*50\/200 \(25\s?%\).*2\.1\.0/, 'its ring and firmware from its stored status')
  t.equal(await admin.page.getByRole('form', { name: 'add a device' }).count(), 0, 'read only on a cluster: no add form')
  t.equal(await admin.page.getByRole('button', { name: 'Remove' }).count(), 0, 'nor row actions')
  t.match(await admin.page.locator('[data-cluster-devices]').textContent(), /punchline devices add\|rotate\|remove --cluster/, 'the page says where the registry is changed')
  t.same(unexpected(admin.errors), [], 'no errors on the page')
})
