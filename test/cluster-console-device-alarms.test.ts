/**
 * The single box's device alarms on a cluster's console (`punchline console --cluster`), with real
 * processes: a private PostgreSQL and Mosquitto, one `punchline gateway --cluster` node taking the devices'
 * statuses into the shared store, real MQTT devices. A status saying the ring is 90 % full raises
 * ring-nearly-full, cleared by one saying it drained; a device that says nothing past
 * alarms.deviceSilentMinutes raises device-silent, as does a registered device never seen; a clock
 * corrected past rules.clockSkewMs raises clock-offset. Two nodes forwarding to a webhook that answers
 * 500 raise upstream-failing past alarms.upstreamFailingMinutes, cleared once it takes the batch.
 */
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PostgresClusterStore } from '../gateway/cluster/postgres/postgres-cluster-store.js'
import type { ListedAlarm } from '../gateway/alarm-book.js'
import { encodeStatus, type DeviceStatus } from '../shared/codec/status.js'
import { connectionString, startPostgres } from './helpers/postgres.js'
import { startMosquitto } from './helpers/mosquitto.js'
import { startClusterNode } from './helpers/cluster-node-process.js'
import { startClusterConsole } from './helpers/cluster-console-process.js'
import { addOperator, asSession, login, type Login } from './helpers/api-v1.js'
import { batch, connectDevice } from './helpers/mqtt-device.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { until } from './helpers/wait.js'
import { cliAsync } from './helpers/gateway-process.js'

const ring = (pending: number): DeviceStatus['ring'] => ({ capacity: 100, pending, oldestPendingTs: Date.now() - 60_000, overwritten: 0, refused: 0 })

/** The console's alarms as a viewer reads them: wait for a condition on them, find one by name (and device). */
function consoleAlarms (c: Parameters<typeof asSession>[0], viewer: Login): { waitFor: (what: string, cond: () => boolean) => Promise<void>, raised: (name: string, device?: string) => ListedAlarm | undefined } {
  let items: ListedAlarm[] = []
  return {
    raised: (name, device) => items.find(a => a.name === name && (device === undefined || a.device === device)),
    waitFor: async (what, cond) => {
      await until(async () => {
        const res = await asSession(c, viewer, 'GET', '/api/v1/alarms')
        if (res.status !== 200) throw new Error(`GET /api/v1/alarms: ${res.status}`)
        items = (await res.json() as { items: ListedAlarm[] }).items
        return cond()
      }, () => `${what} (alarms: ${JSON.stringify(items)})`, 30_000)
    }
  }
}

t.test('the console raises the single box\'s device alarms from the statuses the nodes store', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-cluster-device-alarms-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startPostgres(t)
  const postgres = connectionString(await server.database())
  const broker = await startMosquitto(t)
  const node = startClusterNode(t, dir, 'n1', {
    gatewayId: 'device-alarms-test',
    http: { port: 0 },
    cluster: { broker: { url: broker.url }, postgres, leaseMs: 2000, pollMs: 50, statsSeconds: 60, heartbeatMs: 300 }
  })
  const data = join(dir, 'console-data')
  // Silent past 3 s: long enough for a status to land first on a loaded machine, short enough to wait for.
  const c = startClusterConsole(t, dir, data, { http: { port: 0 }, cluster: { postgres }, alarms: { intervalSeconds: 0.2, deviceSilentMinutes: 0.05 }, rules: { clockSkewMs: 60_000 } })
  await Promise.all([node.ready(), c.ready()])
  const viewer = await login(c, 'op-viewer', await addOperator(data, 'op-viewer', 'viewer'))

  const store = await PostgresClusterStore.open({ connectionString: postgres, poolSize: 1 })
  t.teardown(async () => await store.close())
  t.equal(await store.putDeviceCredentials('D-NEVER', { mosquitto: '$7$unused', nats: '$2a$unused' }, 'new'), 'set')

  const { waitFor, raised } = consoleAlarms(c, viewer)

  const full = await connectDevice(broker.url, 'D-FULL')
  t.teardown(async () => await full.close())
  await full.client.publishAsync('att/v1/D-FULL/status', encodeStatus({ v: 1, online: true, ring: ring(90), clock: { synced: true, offsetMs: 200_000 } }), { qos: 1, retain: true })
  await waitFor('ring-nearly-full and clock-offset for D-FULL', () => raised('ring-nearly-full', 'D-FULL') !== undefined && raised('clock-offset', 'D-FULL') !== undefined)
  t.match(raised('ring-nearly-full', 'D-FULL'), { severity: 'major', message: /^D-FULL ring 90 % full \(90 of 100 punches not yet acknowledged\)/ }, 'the single box\'s words')
  t.match(raised('clock-offset', 'D-FULL'), { message: /^D-FULL clock was off by .* \(more than rules\.clockSkewMs\)/ })

  await waitFor('device-silent for the device never seen, and for D-FULL once it says nothing', () =>
    raised('device-silent', 'D-NEVER') !== undefined && raised('device-silent', 'D-FULL') !== undefined)
  t.match(raised('device-silent', 'D-NEVER'), { message: /^D-NEVER was registered .* ago and has never connected/ })
  t.match(raised('device-silent', 'D-FULL'), { message: /^D-FULL silent for .* \(last seen / })

  await full.client.publishAsync('att/v1/D-FULL/status', encodeStatus({ v: 1, online: true, ring: ring(3), clock: { synced: true, offsetMs: 5 } }), { qos: 1, retain: true })
  // device-silent clears too, for alarms.deviceSilentMinutes: too short a window to wait on here.
  await waitFor('ring-nearly-full and clock-offset to clear for D-FULL once it says its ring drained and its clock is right', () =>
    raised('ring-nearly-full', 'D-FULL') === undefined && raised('clock-offset', 'D-FULL') === undefined)
  t.ok(raised('device-silent', 'D-NEVER') !== undefined, 'the device never seen stays silent')
})

t.test('upstream-failing on the console when no node has a batch accepted for alarms.upstreamFailingMinutes; cleared once the upstream takes them', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-cluster-upstream-alarm-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startPostgres(t)
  const postgres = connectionString(await server.database())
  const broker = await startMosquitto(t)
  const upstream = new WebhookUpstream()
  await upstream.start()
  t.teardown(async () => await upstream.close())
  let refusing = true
  upstream.respond(() => refusing ? { status: 500, body: 'database is down' } : { status: 200 })
  const config = {
    gatewayId: 'upstream-alarm-test',
    upstream: { url: upstream.url },
    http: { port: 0 },
    forward: { backoffBaseMs: 100, backoffCapMs: 500 },
    cluster: { broker: { url: broker.url }, postgres, leaseMs: 2000, pollMs: 50, statsSeconds: 60, heartbeatMs: 300 }
  }
  const nodes = ['n1', 'n2'].map(id => startClusterNode(t, dir, id, config))
  const data = join(dir, 'console-data')
  const c = startClusterConsole(t, dir, data, { http: { port: 0 }, cluster: { postgres }, alarms: { intervalSeconds: 0.2, upstreamFailingMinutes: 0.02 } })
  await Promise.all([...nodes.map(async n => await n.ready()), c.ready()])
  const viewer = await login(c, 'op-viewer', await addOperator(data, 'op-viewer', 'viewer'))
  const { waitFor, raised } = consoleAlarms(c, viewer)

  const d = await connectDevice(broker.url, 'T-1')
  t.teardown(async () => await d.close())
  await d.publish(batch('T-1', [1, 2, 3], { id: 'b1' }))
  await d.ackFor('b1', 30_000)
  await waitFor('upstream-failing', () => raised('upstream-failing') !== undefined)
  t.match(raised('upstream-failing'), { severity: 'critical', message: /^no punch delivered upstream for .* while 3 wait; last error: HTTP 500: database is down/ }, 'the single box\'s alarm, with the upstream\'s answer')
  const res = await asSession(c, viewer, 'GET', '/api/v1/cluster/nodes')
  const listed = await res.json() as Array<{ upstream: unknown }>
  t.match(listed.find(n => n.upstream !== null && (n.upstream as { lastFailure: unknown }).lastFailure !== null),
    { upstream: { lastDeliveredAt: null, lastFailure: { kind: 'retry', status: 500, error: 'HTTP 500: database is down' } } }, 'a node\'s heartbeat says what its forwarder last got')
  const table = async (): Promise<string> => {
    const r = await cliAsync(['nodes', '--cluster', '--config', join(dir, 'n1.json')])
    if (r.status !== 0) throw new Error(`punchline nodes: ${r.status} ${r.stderr}`)
    return r.stdout
  }
  t.match(await table(), /^NODE .* UPSTREAM$[\s\S]*^n\d .* failing \(HTTP 500\) [\d.]+ (s|min) ago$/m, 'punchline nodes shows the failing forwarder')

  refusing = false
  await waitFor('upstream-failing to clear once the upstream takes the batch', () => raised('upstream-failing') === undefined)
  t.equal(upstream.received.size, 3, 'the three punches delivered')
  let text = ''
  await until(async () => /^n\d .* delivered [\d.]+ (s|min) ago$/m.test(text = await table()), () => `a node's forwarder shown delivering (${text})`, 30_000)
  t.pass('and the one that delivered, once its next heartbeat says so')
})
