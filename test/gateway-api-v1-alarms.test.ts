/**
 * Alarms through /api/v1 on a real gateway process with a real refusing upstream: critical / major from
 * the warning / critical grades, when raised, acknowledged by hr (major) and admin (critical), audited;
 * an acknowledged alarm stays listed until its cause clears, and the next raise is new and unacknowledged;
 * punchline_alarms_unacknowledged follows; the legacy /api/alarms keeps its fields and gains the new ones.
 */
import t from 'tap'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import Database from 'better-sqlite3'
import { startGatewayProcess, cli, cliAsync } from './helpers/gateway-process.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { addOperator, asBearer, asSession, login } from './helpers/api-v1.js'
import { sinkRefusingSeq } from './helpers/refusing-sink.js'
import { until } from './helpers/wait.js'

/** Backdates a device's registration in the gateway's database (the gateway is not running yet). */
function registeredAgo (data: string, id: string, ms: number): void {
  const db = new Database(join(data, 'punchline.db'))
  try { db.prepare('UPDATE devices SET created = created - ? WHERE id = ?').run(ms, id) } finally { db.close() }
}

interface Item { name: string, device?: string, severity: string, message: string, raisedAt: number, acked: { by: string, at: number } | null }

t.test('alarms with severity and acknowledgement: hr for major, admin for critical; silenced, listed until cleared', async t => {
  const dir = t.testdir()
  const sink = await sinkRefusingSeq(t, 2)
  const config = join(dir, 'gateway.json')
  // A device registered an hour ago and never seen: device-silent, critical past 4 x 5 min. The device that
  // sends (T-9) stays well inside 5 min, however slow a loaded machine makes the test: no alarm of its own.
  writeFileSync(config, JSON.stringify({ alarms: { intervalSeconds: 0.2, deviceSilentMinutes: 5 }, storage: { minFreeBytes: 0 }, forward: { lingerMs: 10 }, backup: { intervalHours: 0 } }))
  const data = join(dir, 'data')
  t.equal(cli(['devices', 'add', 'K-QUIET', '--data', data]).status, 0)
  registeredAgo(data, 'K-QUIET', 3_600_000)
  const gw = await startGatewayProcess({ dataDir: data, upstream: sink.url, allowAnonymous: true, args: ['--config', config] })
  t.teardown(() => gw.stop())
  const admin = await login(gw, 'ada', await addOperator(data, 'ada', 'admin'))
  const hr = await login(gw, 'hana', await addOperator(data, 'hana', 'hr'))
  const viewer = await login(gw, 'vic', await addOperator(data, 'vic', 'viewer'))
  const items = async (): Promise<Item[]> => (await (await asSession(gw, viewer, 'GET', '/api/v1/alarms')).json() as { items: Item[] }).items
  const unacked = async (level: string): Promise<number> => {
    const m = new RegExp(`^punchline_alarms_unacknowledged\\{severity="${level}"\\} (\\d+)$`, 'm').exec(await (await fetch(gw.httpUrl + '/metrics')).text())
    return Number(m?.[1])
  }

  const dev = await connectDevice(gw.mqttUrl, 'T-9')
  t.teardown(() => dev.close())
  await dev.publish(batch('b-1', [1, 2, 3]))
  await dev.ackFor('b-1')
  await until(async () => (await items()).some(a => a.name === 'dead-letters') && (await items()).some(a => a.name === 'device-silent' && a.severity === 'critical'), 'dead-letters and a critical device-silent')
  const raised = await items()
  const dead = raised.find(a => a.name === 'dead-letters')!
  t.match(dead, { severity: 'major', message: /1 dead letter waits/, acked: null }, 'a warning that holds punches back from payroll: major')
  t.ok(dead.raisedAt > Date.now() - 60_000 && dead.raisedAt <= Date.now(), 'raisedAt')
  t.match(raised.find(a => a.name === 'device-silent'), { device: 'K-QUIET', severity: 'critical', acked: null })
  t.equal(await unacked('major'), 1)
  t.equal(await unacked('critical'), 1)

  t.equal((await asSession(gw, viewer, 'POST', '/api/v1/alarms/dead-letters/ack')).status, 403, 'a viewer may not acknowledge')
  t.equal((await asSession(gw, hr, 'POST', '/api/v1/alarms/dead-letters/ack', undefined, false)).status, 403, 'nor a session without its CSRF token')
  const ack = await asSession(gw, hr, 'POST', '/api/v1/alarms/dead-letters/ack')
  t.equal(ack.status, 200, 'hr acknowledges a major alarm')
  const acked = (await ack.json() as { items: Item[] }).items
  t.match(acked, [{ name: 'dead-letters', acked: { by: 'hana' } }])
  t.equal(await unacked('major'), 0, 'silenced: no longer unacknowledged')
  t.match((await items()).find(a => a.name === 'dead-letters'), { raisedAt: dead.raisedAt, acked: { by: 'hana' } }, 'still listed while its cause stays')

  const hrCritical = await asSession(gw, hr, 'POST', '/api/v1/alarms/device-silent/ack?device=K-QUIET')
  t.equal(hrCritical.status, 403, 'hr may not acknowledge a critical alarm')
  t.match(await hrCritical.json(), { error: 'forbidden', message: /critical.*needs admin/ })
  t.equal((await asSession(gw, admin, 'POST', '/api/v1/alarms/device-silent/ack?device=K-QUIET')).status, 200, 'admin may')
  t.equal(await unacked('critical'), 0)
  t.equal((await asSession(gw, admin, 'POST', '/api/v1/alarms/ring-nearly-full/ack')).status, 404, 'an alarm not raised: 404')
  t.equal((await asSession(gw, admin, 'POST', '/api/v1/alarms/device-silent/ack?device=K-OTHER')).status, 404, 'nor for another device')
  const bad = await asSession(gw, admin, 'POST', '/api/v1/alarms/sleepy/ack')
  t.equal(bad.status, 400)
  t.match(await bad.json(), { field: 'params.name', rule: 'enum' })
  const badDevice = await asSession(gw, admin, 'POST', '/api/v1/alarms/device-silent/ack?device=a%20b')
  t.match(await badDevice.json(), { field: 'querystring.device', rule: 'pattern' })
  t.equal((await asBearer(gw, gw.apiToken, 'POST', '/api/v1/alarms/device-silent/ack')).status, 200, 'the site token (admin) may')
  t.equal((await fetch(gw.httpUrl + '/api/v1/alarms')).status, 401, 'no credentials: 401')

  const audit = (await (await asSession(gw, admin, 'GET', '/api/v1/audit')).json() as { entries: Array<{ actor: string, action: string, target: string }> }).entries
  t.match(audit.filter(e => e.action === 'alarm.ack').map(e => `${e.actor} ${e.target}`), ['site-token device-silent', 'ada device-silent/K-QUIET', 'hana dead-letters'], 'each acknowledgement audited')

  const legacy = await (await gw.api('/api/alarms')).json() as { alarms: Array<Record<string, unknown>> }
  t.match(legacy.alarms.find(a => a.name === 'dead-letters'), { name: 'dead-letters', severity: 'warning', message: /dead letter/, level: 'major', acked: { by: 'hana' } }, 'the legacy view keeps severity warning and gains level, raisedAt and acked')

  sink.respond(() => ({ status: 200 }))
  t.equal((await cliAsync(['deadletters', 'replay', '--all', '--data', data])).status, 0)
  await until(async () => !(await items()).some(a => a.name === 'dead-letters'), 'the dead-letters alarm to clear')
  sink.respond(req => req.body?.punches.some(p => p.seq === 5) === true ? { status: 422, body: '{"error":"bad employee"}' } : { status: 200 })
  await dev.publish(batch('b-2', [4, 5]))
  await dev.ackFor('b-2')
  await until(async () => (await items()).some(a => a.name === 'dead-letters'), 'the next raise')
  t.match((await items()).find(a => a.name === 'dead-letters'), { acked: null }, 'a new raise: unacknowledged again')
  await until(async () => await unacked('major') === 1, 'the gauge to count the new raise')
})

t.test('database-moved-aside: only admin acknowledges it over the API, and that ends it, as the CLI does', async t => {
  const dir = t.testdir()
  const data = join(dir, 'data')
  t.equal(cli(['devices', 'add', 'K-1', '--data', data]).status, 0)
  writeFileSync(join(data, 'punchline.db'), Buffer.alloc(64 * 1024, 0x5a))
  const config = join(dir, 'gateway.json')
  writeFileSync(config, JSON.stringify({ alarms: { intervalSeconds: 0.2 }, storage: { minFreeBytes: 0 }, backup: { intervalHours: 0 } }))
  const gw = await startGatewayProcess({ dataDir: data, allowAnonymous: true, args: ['--config', config] })
  t.teardown(() => gw.stop())
  const admin = await login(gw, 'ada', await addOperator(data, 'ada', 'admin'))
  const hr = await login(gw, 'hana', await addOperator(data, 'hana', 'hr'))
  const names = async (): Promise<string[]> => ((await (await asSession(gw, hr, 'GET', '/api/v1/alarms')).json() as { items: Item[] }).items).map(a => `${a.name} ${a.severity}`)
  await until(async () => (await names()).includes('database-moved-aside critical'), 'the moved-aside alarm')
  t.equal((await asSession(gw, hr, 'POST', '/api/v1/alarms/database-moved-aside/ack')).status, 403, 'hr may not: it is critical')
  const ack = await asSession(gw, admin, 'POST', '/api/v1/alarms/database-moved-aside/ack')
  t.equal(ack.status, 200)
  t.match(await ack.json(), { items: [{ name: 'database-moved-aside', acked: { by: 'ada' } }] })
  t.notOk((await names()).includes('database-moved-aside critical'), 'ended at once')
  t.notMatch(cli(['report', '--data', data]).stdout, /database-moved-aside/, 'and for punchline report too (the record is gone from the database)')
  t.match(cli(['alarms', 'ack', 'database-moved-aside', '--data', data]).stdout, /nothing to acknowledge/, 'the CLI finds nothing left to acknowledge')
})
