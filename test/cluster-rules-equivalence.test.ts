/**
 * The same device batches through a single box (`punchline gateway`, SQLite) and through a cluster (two
 * `punchline gateway --cluster` nodes over a private Mosquitto and a private PostgreSQL) give the same
 * flags, stored and sent upstream, on a mix that fires every rule: late-sync, expired, clock-unsynced,
 * future, clock-skew (from the device's status), double, gps-jump, outside-geofence, manual, over-limit
 * and unknown-badge (a site roster, given to each with `punchline roster add`, `--cluster` for the
 * cluster). Batches go one at a time, each after the previous one's ack, so both see them in one order.
 */
import t from 'tap'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import type { UpstreamPunch } from '../shared/upstream.js'
import { startMosquitto } from './helpers/mosquitto.js'
import { connectionString, startPostgres } from './helpers/postgres.js'
import { startClusterNode } from './helpers/cluster-node-process.js'
import { cliAsync, startGatewayProcess, writeGatewayConfig } from './helpers/gateway-process.js'
import { connectDevice, type TestDevice } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'

const NOW = Date.now()
const MIN = 60_000
const H = 60 * MIN
const OFFICE = { lat: 31.2304, lon: 121.4737, acc: 10 }
const BEIJING = { lat: 39.9042, lon: 116.4074, acc: 10 }
const MANUAL = { method: 'manual', manual: { reason: 'forgot my card' } }
/** T-1's clock was put back by 3 h ten minutes ago: what it stamped before then is clock-skew */
const JUMP = { lastJumpMs: 3 * H, lastJumpAt: NOW - 10 * MIN }

const RULES_SETTINGS = {
  gatewayId: 'eq-test',
  rules: { manualMonthlyLimit: 1 },
  sites: { hq: { devices: ['T-*'], geofences: [{ lat: OFFICE.lat, lon: OFFICE.lon, radiusM: 300 }] } },
  forward: { batchSize: 50, backoffBaseMs: 100, backoffCapMs: 1000 }
}

interface Batch { device: string, punches: Array<Record<string, unknown>> }

function punch (seq: number, ts: number, emp: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { seq, ts, emp, kind: seq % 2 === 0 ? 'out' : 'in', method: 'card', ...over }
}

// C-1 and P-1 are ada's card and PIN (the roster); X-9 is a badge nobody mapped.
const BATCHES: Batch[] = [
  { device: 'T-1', punches: [punch(1, NOW - 30 * H, 'C-1'), punch(2, NOW - 80 * H, 'C-1'), punch(3, NOW + H, 'X-9'), punch(4, NOW - 50 * MIN, 'X-9', { clock: 'unsynced' })] },
  { device: 'T-1', punches: [punch(5, NOW - 20 * MIN, 'C-1'), punch(6, NOW - 20 * MIN + 20_000, 'C-1')] },
  { device: 'T-1', punches: [punch(7, NOW - 8 * MIN, 'C-1', { loc: OFFICE }), punch(8, NOW - 7 * MIN, 'C-1', { loc: BEIJING })] },
  { device: 'T-2', punches: [punch(1, NOW - 5 * MIN, 'P-1', MANUAL), punch(2, NOW - 3 * MIN, 'P-1', { ...MANUAL, loc: OFFICE })] },
  // a double across a batch boundary, and a resend of the first batch: known, flags as stored
  { device: 'T-2', punches: [punch(3, NOW - 3 * MIN + 30_000, 'P-1')] },
  { device: 'T-1', punches: [punch(1, NOW - 30 * H, 'C-1'), punch(2, NOW - 80 * H, 'C-1')] }
]

const EVERY_FLAG = ['late-sync', 'expired', 'clock-unsynced', 'future', 'clock-skew', 'double', 'gps-jump', 'outside-geofence', 'manual', 'over-limit', 'unknown-badge']

async function send (devices: Map<string, TestDevice>, url: string): Promise<void> {
  for (const [i, b] of BATCHES.entries()) {
    let d = devices.get(b.device)
    if (d === undefined) devices.set(b.device, d = await connectDevice(url, b.device))
    const id = `b${i}`
    await d.publish({ v: 1, id, epoch: '9f2c41d0', tz: 480, punches: b.punches })
    const ack = await d.ackFor(id, 30_000)
    if (!('rejected' in ack) || ack.rejected.length > 0) throw new Error(`batch ${id}: ${JSON.stringify(ack)}`)
  }
}

/** the status that tells of T-1's clock correction */
const STATUS = JSON.stringify({ v: 1, online: true, clock: { synced: true, offsetMs: JUMP.lastJumpMs, ...JUMP } })

/** id → flags and employee, as the upstream was told */
function told (up: WebhookUpstream): Map<string, { flags: string[], employee: string | undefined, site: string | undefined }> {
  const out = new Map<string, { flags: string[], employee: string | undefined, site: string | undefined }>()
  for (const r of up.requests) for (const p of r.body?.punches ?? [] as UpstreamPunch[]) out.set(p.id, { flags: p.flags, employee: p.employee, site: p.site })
  return out
}

const PUNCH_IDS = new Set(BATCHES.flatMap(b => b.punches.map(p => `${b.device}:9f2c41d0:${p.seq as number}`)))

t.test('the same batches through a single box and through cluster nodes: the same flags, stored and upstream', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-eq-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const upBox = new WebhookUpstream()
  const upCluster = new WebhookUpstream()
  await upBox.start()
  await upCluster.start()
  t.teardown(async () => { await upBox.close(); await upCluster.close() })

  // The single box, its roster written before it starts (it reads it at start).
  const boxData = join(dir, 'box')
  mkdirSync(boxData)
  const boxConfig = writeGatewayConfig(boxData, RULES_SETTINGS)
  for (const badge of ['C-1', 'P-1']) {
    const added = await cliAsync(['roster', 'add', badge, 'ada', '--site', 'hq', '--data', boxData, '--config', boxConfig])
    t.equal(added.status, 0, added.stderr)
  }
  const box = await startGatewayProcess({ dataDir: boxData, upstream: upBox.url, allowAnonymous: true, args: ['--config', boxConfig] })
  t.teardown(async () => await box.stop())
  const boxDevices = new Map<string, TestDevice>()
  t.teardown(async () => { for (const d of boxDevices.values()) await d.close() })
  const t1 = await connectDevice(box.mqttUrl, 'T-1')
  boxDevices.set('T-1', t1)
  await t1.publish(STATUS, 'att/v1/T-1/status')
  await until(async () => {
    const res = await box.api('/api/v1/devices/T-1')
    return res.status === 200 && (await res.json() as { clockOffsetMs: number | null }).clockOffsetMs === JUMP.lastJumpMs
  }, 'the single box to take T-1\'s status', 20_000, 100)
  await send(boxDevices, box.mqttUrl)

  // The cluster: two nodes.
  const server = await startPostgres(t)
  const db = await server.database()
  const connection = connectionString(db)
  const broker = await startMosquitto(t)
  const nodeConfig = {
    ...RULES_SETTINGS,
    upstream: { url: upCluster.url },
    http: { port: 0 },
    cluster: { broker: { url: broker.url }, postgres: connection, group: 'eq', leaseMs: 5000, pollMs: 50, statsSeconds: 1 }
  }
  // The shared roster before the nodes start (the command brings the store's schema up to date itself).
  const adminConfig = join(dir, 'admin.json')
  writeFileSync(adminConfig, JSON.stringify(nodeConfig))
  for (const badge of ['C-1', 'P-1']) {
    const added = await cliAsync(['roster', 'add', badge, 'ada', '--site', 'hq', '--cluster', '--config', adminConfig])
    t.equal(added.status, 0, added.stderr)
  }
  const nodes = [startClusterNode(t, dir, 'n1', nodeConfig), startClusterNode(t, dir, 'n2', nodeConfig)]
  await Promise.all(nodes.map(async n => await n.ready()))
  const clusterDevices = new Map<string, TestDevice>()
  t.teardown(async () => { for (const d of clusterDevices.values()) await d.close() })
  const c1 = await connectDevice(broker.url, 'T-1')
  clusterDevices.set('T-1', c1)
  await c1.publish(STATUS, 'att/v1/T-1/status')
  const check = new pg.Client(db)
  await check.connect()
  t.teardown(async () => await check.end())
  await until(async () => (await check.query('SELECT 1 FROM device_clocks WHERE device = $1 AND jump_ms = $2', ['T-1', JUMP.lastJumpMs])).rowCount === 1,
    'a node to record T-1\'s clock correction', 20_000, 100)
  await send(clusterDevices, broker.url)

  // Both upstreams get every punch; the flags, employee and site each was sent with are the same.
  await until(() => [...PUNCH_IDS].every(id => told(upBox).has(id)), 'the single box to forward every punch', 30_000, 100)
  await until(() => [...PUNCH_IDS].every(id => told(upCluster).has(id)), 'the cluster to forward every punch', 30_000, 100)
  const fromBox = told(upBox)
  const fromCluster = told(upCluster)
  for (const id of [...PUNCH_IDS].sort()) t.same(fromCluster.get(id), fromBox.get(id), `${id}: ${fromBox.get(id)?.flags.join(',') ?? ''}`)
  const fired = new Set([...fromBox.values()].flatMap(v => v.flags))
  t.same(EVERY_FLAG.filter(f => !fired.has(f)), [], 'every rule fired')

  // And as stored in PostgreSQL.
  const stored = await check.query<{ id: string, flags: string, person: string | null }>(
    "SELECT device || ':' || epoch || ':' || seq AS id, flags, person FROM punches ORDER BY id")
  t.equal(stored.rowCount, PUNCH_IDS.size, 'each punch stored once')
  for (const r of stored.rows) t.same(r.flags === '' ? [] : r.flags.split(','), fromBox.get(r.id)?.flags, `${r.id} stored with the single box's flags`)
})
