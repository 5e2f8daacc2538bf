/**
 * A cluster's device statuses with real processes (docs/DESIGN-NOTES.md, "Cluster nodes: device statuses
 * in the shared store"): a private PostgreSQL and Mosquitto, a `punchline gateway --cluster` node, devices
 * as real MQTT clients with the protocol's last will, and `punchline console --cluster`. A status lands in
 * the shared store and shows on the console's GET /api/v1/devices, in the single box's shape, for every
 * role; a device whose connection dies shows offline with the ring it left with; a registered device never
 * seen shows as never seen.
 */
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PostgresClusterStore } from '../gateway/cluster/postgres/postgres-cluster-store.js'
import type { DeviceItem } from '../gateway/device-live.js'
import { encodeStatus, OFFLINE_WILL, type DeviceStatus } from '../shared/codec/status.js'
import { startMosquitto } from './helpers/mosquitto.js'
import { connectionString, startPostgres } from './helpers/postgres.js'
import { startClusterNode } from './helpers/cluster-node-process.js'
import { startClusterConsole } from './helpers/cluster-console-process.js'
import { addOperator, apiFetch, asSession, login } from './helpers/api-v1.js'
import { connectDevice } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'

const RING = { capacity: 500, pending: 12, oldestPendingTs: Date.parse('2026-12-07T08:00:00Z'), overwritten: 0, refused: 0 }
const STATUS: DeviceStatus = { v: 1, online: true, fw: '2.1.0', epoch: '9f2c41d0', clock: { synced: true, offsetMs: 40 }, ring: RING, battery: 0.5 }
const HASHES = { mosquitto: '$7$unused', nats: '$2a$unused' }

t.test('statuses reach PostgreSQL through a node and show on the cluster console; a device that drops off shows offline', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-cluster-devices-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startPostgres(t)
  const postgres = connectionString(await server.database())
  const broker = await startMosquitto(t)
  const node = startClusterNode(t, dir, 'n1', {
    gatewayId: 'devices-test',
    http: { port: 0 },
    cluster: { broker: { url: broker.url }, postgres, leaseMs: 2000, pollMs: 50, statsSeconds: 60, heartbeatMs: 1000 }
  })
  const data = join(dir, 'console-data')
  const c = startClusterConsole(t, dir, data, { http: { port: 0 }, cluster: { postgres }, sites: { plant: { devices: ['D-*'] } } })
  await Promise.all([node.ready(), c.ready()])

  // The registry, as `punchline devices add --cluster` leaves it.
  const store = await PostgresClusterStore.open({ connectionString: postgres, poolSize: 1 })
  t.teardown(async () => await store.close())
  for (const id of ['D-1', 'D-NEVER']) t.equal(await store.putDeviceCredentials(id, HASHES, 'new'), 'set')

  const will = { topic: 'att/v1/D-1/status', payload: Buffer.from(encodeStatus(OFFLINE_WILL)), qos: 1 as const, retain: true }
  const d1 = await connectDevice(broker.url, 'D-1', { extra: { will } })
  t.teardown(async () => await d1.close())
  await d1.client.publishAsync('att/v1/D-1/status', encodeStatus(STATUS), { qos: 1, retain: true })
  const anon = await connectDevice(broker.url, 'X-ANON')
  t.teardown(async () => await anon.close())
  await anon.client.publishAsync('att/v1/X-ANON/status', encodeStatus({ v: 1, online: true }), { qos: 1, retain: true })

  const [admin, hr, viewer] = await Promise.all((['admin', 'hr', 'viewer'] as const).map(async role => await login(c, `op-${role}`, await addOperator(data, `op-${role}`, role))))
  const devices = async (): Promise<DeviceItem[]> => {
    const res = await asSession(c, viewer, 'GET', '/api/v1/devices')
    if (res.status !== 200) throw new Error(`GET /api/v1/devices: ${res.status}`)
    return ((await res.json()) as { items: DeviceItem[] }).items
  }
  let items: DeviceItem[] = []
  await until(async () => {
    items = await devices()
    return items.some(d => d.id === 'D-1' && d.online) && items.some(d => d.id === 'X-ANON')
  }, () => `D-1 and X-ANON on the console (${JSON.stringify(items)}; node stderr ${node.stderr})`, 20_000)

  t.same(items.map(d => d.id), ['D-1', 'D-NEVER', 'X-ANON'], 'registered and seen devices, by id')
  const d1Item = items[0]
  t.match(d1Item, {
    online: true,
    site: 'plant',
    hasSecret: true,
    ring: { pending: 12, capacity: 500, fill: 12 / 500, oldestPendingTs: RING.oldestPendingTs },
    clockOffsetMs: 40,
    clockSynced: true,
    battery: 0.5,
    firmware: '2.1.0',
    epoch: '9f2c41d0',
    status: STATUS
  }, "D-1 with its last status, in the single box's shape")
  t.ok(d1Item.lastSeen !== null && Math.abs(d1Item.lastSeen - Date.now()) < 60_000, 'last seen: when the node took the status')
  t.match(items[1], { id: 'D-NEVER', online: false, lastSeen: null, ring: null, firmware: null, status: null, hasSecret: true }, 'registered, never seen')
  t.match(items[2], { id: 'X-ANON', online: true, hasSecret: false, site: null, ring: null }, 'seen, not registered')
  t.equal((await store.listStatuses({ limit: 10 })).find(s => s.device === 'D-1')?.node, 'n1', 'the row names the node that took it')

  for (const [role, s] of [['admin', admin], ['hr', hr]] as const) {
    const res = await asSession(c, s, 'GET', '/api/v1/devices')
    t.equal(res.status, 200, `${role} reads the devices, as on the single box`)
    t.equal(((await res.json()) as { capped: boolean }).capped, false)
  }
  t.equal((await apiFetch(c.httpUrl + '/api/v1/devices', {})).status, 401, 'no credentials: refused')

  // The connection dies without a DISCONNECT: the broker publishes the last will, which a node takes.
  d1.client.stream.destroy()
  await until(async () => {
    items = await devices()
    return items.find(d => d.id === 'D-1')?.online === false
  }, () => `D-1 offline after its last will (${JSON.stringify(items)})`, 20_000)
  t.match(items.find(d => d.id === 'D-1'), { online: false, status: OFFLINE_WILL, ring: { pending: 12 }, firmware: '2.1.0' }, 'offline, with the backlog it left with')

  const metrics = await node.metrics()
  t.match(metrics, /punchline_cluster_device_statuses_written_total [1-9]/, 'the node counts the rows it wrote')
  t.match(metrics, /punchline_cluster_device_statuses_pending 0/)
})
