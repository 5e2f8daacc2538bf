/**
 * Device secrets and permissions on a NATS cluster (docs/OPERATIONS.md, "Device secrets and ACLs on the
 * cluster's broker"), with real processes: the registry in a private PostgreSQL, the authorization include
 * written by `punchline broker-auth nats`, a private 3-server NATS 2.9 cluster whose configs include it,
 * and a `punchline gateway --cluster` node logging in as the nodes' user over NATS.
 */
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { startNatsCluster } from './helpers/nats.js'
import { connectionString, startPostgres } from './helpers/postgres.js'
import { startClusterNode } from './helpers/cluster-node-process.js'
import { batch, connectDevice, type TestDevice } from './helpers/mqtt-device.js'
import { ClusterRegistry, NODES_LOGIN, refusal } from './helpers/cluster-registry.js'
import { until } from './helpers/wait.js'

t.test('NATS on the generated authorization: secrets, permissions, a rotation and a removal with a reload', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-broker-auth-nats-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startPostgres(t)
  const db = await server.database()
  const config = {
    gatewayId: 'auth-nats-test',
    http: { port: 0 },
    cluster: { broker: { url: '', ...NODES_LOGIN }, postgres: connectionString(db), group: 'nodes', statsSeconds: 0.2 }
  }
  const registry = new ClusterRegistry(dir, config)
  const n1Secret = await registry.secret('add', 'N1')
  const n2Secret = await registry.secret('add', 'N2')
  const file = join(dir, 'punchline-auth.conf')
  t.match(await registry.run('broker-auth', 'nats', '--out', file), /2 devices and the nodes' login \(gw-nodes\); reload: nats-server --signal reload/)
  t.match(readFileSync(file, 'utf8'), /user: "N1", password: "\$2a\$06\$[^"]+", allowed_connection_types: \["MQTT"\]/)

  const nats = await startNatsCluster(t, 3, { include: file })
  const node = startClusterNode(t, dir, 'n1', { ...config, cluster: { ...config.cluster, broker: { ...config.cluster.broker, url: nats.natsUrls.join(',') } } })
  await node.ready(60_000)

  const devices: TestDevice[] = []
  t.teardown(async () => { for (const d of devices) await d.close().catch(() => {}) })
  const n1 = await connectDevice(nats.mqttUrls[0], 'N1', { secret: n1Secret })
  devices.push(n1)
  await n1.publish(batch('nb-1', [1, 2]))
  t.ok('ok' in await n1.ackFor('nb-1', 60_000), 'a registered device connects over MQTT with its secret and a node acks its batch')
  t.equal(await refusal(nats.mqttUrls[1], 'N2', 'not-the-secret-at-all'), 5, 'a wrong password is refused in the CONNACK (5, not authorised)')
  t.equal(await refusal(nats.mqttUrls[1], NODES_LOGIN.username, NODES_LOGIN.password), 5, 'the nodes\' login is refused over MQTT (NATS connections only)')

  // N1 may not subscribe to N2's acks (NATS refuses it in the SUBACK), nor publish on N2's batches.
  const refused = await n1.client.subscribeAsync('att/v1/N2/acks', { qos: 1 }).then(() => undefined, (err: { packet?: { granted?: number[] } }) => err.packet?.granted)
  t.same(refused, [128], 'N1 cannot subscribe to N2\'s acks (SUBACK 0x80)')
  await n1.publish(batch('spoof-1', [9]), 'att/v1/N2/punches')
  await n1.publish(batch('nb-2', [3]))
  await n1.ackFor('nb-2', 60_000)
  const client = new pg.Client(db)
  await client.connect()
  t.teardown(async () => await client.end())
  t.equal((await client.query<{ n: number }>('SELECT count(*)::int AS n FROM punches WHERE device = \'N2\'')).rows[0].n, 0, 'the batch N1 published on N2\'s topic reached no node')

  // A new secret for N2 and N1 removed (while connected): the file again, every server reloaded.
  let n1Closed = false
  n1.client.on('close', () => { n1Closed = true })
  const n2New = await registry.secret('rotate', 'N2')
  await registry.run('devices', 'remove', 'N1')
  await registry.run('broker-auth', 'nats', '--out', file)
  for (const s of nats.servers) s.reload()
  await until(async () => await refusal(nats.mqttUrls[2], 'N2', n2Secret) === 5, 'N2\'s old secret to be refused after the reload', 20_000, 200)
  await until(() => n1Closed, 'the removed device\'s connection to be closed by the reload', 20_000)
  t.pass('the reload closed the removed device\'s connection')
  t.equal(await refusal(nats.mqttUrls[0], 'N1', n1Secret), 5, 'and it cannot log in again')
  const n2 = await connectDevice(nats.mqttUrls[2], 'N2', { secret: n2New })
  devices.push(n2)
  await n2.publish(batch('nb-3', [1]))
  t.ok('ok' in await n2.ackFor('nb-3', 60_000), 'after the reload the new secret works and its batch is acked')
})
