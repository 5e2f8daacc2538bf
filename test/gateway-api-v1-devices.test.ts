/**
 * /api/v1/devices on a real gateway process with real devices over MQTT (the device runtime and MQTT.js):
 * the list and one device with their live state (online, last seen, site, ring fill, oldest unsent, clock
 * offset, battery, firmware), each route with each role, bad input, and the admin's changes: add (the
 * secret shown once, then the device logs in with it), rotate (the session made with the old secret is
 * closed, the old secret refused), sync now (reaches the connected device; 409 when it is not), remove
 * (session closed, stored punches kept and still delivered upstream), each audited.
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { pino } from 'pino'
import { cliAsync, startGatewayProcess, writeGatewayConfig, type GatewayProcess } from './helpers/gateway-process.js'
import { addOperator, asBearer, asSession, login, type Login, type Role } from './helpers/api-v1.js'
import { batch, connectDevice } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { parseDeviceConfig } from '../device/config.js'
import { DeviceRuntime } from '../device/runtime.js'

const ROLES: Role[] = ['admin', 'hr', 'viewer']

interface Started { gw: GatewayProcess, dir: string, data: string, sessions: Record<Role, Login> }

async function start (t: Test, settings: Record<string, unknown> = {}, upstream?: string): Promise<Started> {
  const dir = t.testdir()
  const data = join(dir, 'gw')
  const config = writeGatewayConfig(dir, { sites: { north: { devices: ['N-*'] } }, ...settings })
  const gw = await startGatewayProcess({ dataDir: data, args: ['--config', config], upstream })
  t.teardown(async () => await gw.stop())
  // One at a time: the CLI's commands run at once can meet each other's lock ("database is locked").
  const passwords: string[] = []
  for (const role of ROLES) passwords.push(await addOperator(data, `op-${role}`, role))
  const sessions = {} as Record<Role, Login>
  for (const [i, role] of ROLES.entries()) sessions[role] = await login(gw, `op-${role}`, passwords[i])
  return { gw, dir, data, sessions }
}

/** Without blocking the event loop between requests (test/helpers/api-v1.ts, addOperator, says why). */
async function addWithCli (data: string, id: string, secret: string): Promise<void> {
  const r = await cliAsync(['devices', 'add', id, '--secret', secret, '--data', data])
  if (r.status !== 0) throw new Error(r.stderr)
}

async function auditActions (gw: GatewayProcess): Promise<Array<{ actor: string, action: string, target: string }>> {
  return ((await (await gw.api('/api/v1/audit?limit=500')).json()) as { entries: Array<{ actor: string, action: string, target: string }> }).entries
}

t.test('the list and one device carry the live state a connected device reports', async t => {
  const { gw, dir, data, sessions } = await start(t)
  await addWithCli(data, 'N-1', 'secret-of-N-1')
  const rt = new DeviceRuntime(parseDeviceConfig({
    id: 'N-1',
    secret: 'secret-of-N-1',
    fw: 'fw-7.1',
    broker: { url: gw.mqttUrl },
    ring: { path: join(dir, 'ring.bin'), capacity: 50 },
    duplicateWindowMs: 0
  }), { log: pino({ level: 'silent' }) })
  t.teardown(async () => await rt.stop())
  await rt.start()
  await until(async () => {
    const d = await (await asSession(gw, sessions.viewer, 'GET', '/api/v1/devices/N-1')).json() as { online: boolean, firmware: string | null, clockSynced: boolean | null }
    // The clock is synced by the time command after the connect's first status: a loaded machine showed the
    // first status alone (clockSynced false) to a test that waited only for online and firmware.
    return d.online && d.firmware === 'fw-7.1' && d.clockSynced === true
  }, 'N-1 online with its status and its clock synced', 15_000)
  const list = await (await asSession(gw, sessions.viewer, 'GET', '/api/v1/devices')).json() as { items: Array<Record<string, unknown>> }
  t.equal(list.items.length, 1)
  const item = list.items[0]
  t.match(item, {
    id: 'N-1',
    online: true,
    site: 'north',
    firmware: 'fw-7.1',
    ring: { pending: Number, capacity: 50, fill: Number },
    clockOffsetMs: Number,
    clockSynced: true,
    battery: null,
    hasSecret: true,
    created: Number,
    status: { v: 1, online: true, fw: 'fw-7.1' }
  }, 'live state, with the fields of the earlier view kept')
  t.ok(typeof item.lastSeen === 'number', 'last seen')
  t.ok('oldestPendingTs' in (item.ring as object), 'oldest unsent punch time')
  const legacy = await (await gw.api('/api/devices')).json() as Array<Record<string, unknown>>
  t.same(Object.keys(legacy[0]).sort(), ['created', 'hasSecret', 'id', 'lastSeen', 'status'], 'the legacy /api/devices keeps its shape')

  // A device that goes away keeps the ring it left with; its will says offline.
  await rt.stop()
  await until(async () => ((await (await gw.api('/api/v1/devices/N-1')).json()) as { online: boolean }).online === false, 'N-1 offline', 10_000)
  t.match(await (await gw.api('/api/v1/devices/N-1')).json(), { online: false, ring: { capacity: 50 }, firmware: 'fw-7.1' })
  t.equal((await gw.api('/api/v1/devices/NOPE')).status, 404, 'an unknown device: 404')
})

interface Route { method: string, path: (n: number) => string, allowed: Role[], ok: number, body?: (n: number) => unknown }

t.test('each device route with each role: allowed or refused, on a session and on a token', async t => {
  const { gw, data, sessions } = await start(t)
  await addWithCli(data, 'N-0', 'secret-of-N-0')
  const routes: Route[] = [
    { method: 'GET', path: () => '/api/v1/devices', allowed: ROLES, ok: 200 },
    { method: 'GET', path: () => '/api/v1/devices/N-0', allowed: ROLES, ok: 200 },
    { method: 'GET', path: () => '/api/v1/history', allowed: ROLES, ok: 200 },
    { method: 'POST', path: () => '/api/v1/devices', allowed: ['admin'], ok: 201, body: n => ({ id: `NEW-${n}` }) },
    { method: 'POST', path: n => `/api/v1/devices/V-${n}/secret`, allowed: ['admin'], ok: 200 },
    // Allowed, and refused for its own reason: no device is connected.
    { method: 'POST', path: n => `/api/v1/devices/V-${n}/sync`, allowed: ['admin'], ok: 409 },
    { method: 'DELETE', path: n => `/api/v1/devices/V-${n}`, allowed: ['admin'], ok: 200 }
  ]
  let n = 0
  const check = async (role: Role, send: (m: string, p: string, b?: unknown) => Promise<Response>, how: string): Promise<void> => {
    n++
    await addWithCli(data, `V-${n}`, 'secret-of-victim')
    for (const r of routes) {
      const res = await send(r.method, r.path(n), r.body?.(n))
      const label = `${r.method} ${r.path(n)} as ${role} ${how}`
      if (r.allowed.includes(role)) t.equal(res.status, r.ok, `${label}: allowed`)
      else {
        t.equal(res.status, 403, `${label}: refused`)
        t.match(await res.json(), { error: 'forbidden' })
      }
    }
  }
  for (const role of ROLES) await check(role, async (m, p, b) => await asSession(gw, sessions[role], m, p, b), 'on a session')
  for (const role of ROLES) {
    const made = await asSession(gw, sessions.admin, 'POST', '/api/v1/tokens', { name: `tok-${role}`, role })
    const { token } = await made.json() as { token: string }
    await check(role, async (m, p, b) => await asBearer(gw, token, m, p, b), 'with an API token')
  }
  await check('admin', async (m, p, b) => await asBearer(gw, gw.apiToken, m, p, b), 'with the site token')
  for (const r of routes) t.equal((await fetch(gw.httpUrl + r.path(1), { method: r.method })).status, 401, `${r.method} ${r.path(1)} without credentials: 401`)
  const noCsrf = await asSession(gw, sessions.admin, 'POST', '/api/v1/devices', { id: 'CSRF-1' }, false)
  t.equal(noCsrf.status, 403, 'a change on a session without its CSRF token: 403')
  t.match(await noCsrf.json(), { error: 'csrf' })
})

t.test('bad input gets a 400 naming the field and the rule', async t => {
  const { gw, sessions } = await start(t)
  const cases: Array<[string, string, unknown, string, string]> = [
    ['POST', '/api/v1/devices', { id: 'has space' }, 'body.id', 'pattern'],
    ['POST', '/api/v1/devices', { id: 'x'.repeat(65) }, 'body.id', 'pattern'],
    ['POST', '/api/v1/devices', {}, 'body.id', 'required'],
    ['POST', '/api/v1/devices', { id: 'T-1', secret: 'short' }, 'body.secret', 'minLength'],
    ['POST', '/api/v1/devices', { id: 'T-1', site: 'north' }, 'body.site', 'additionalProperties'],
    ['POST', '/api/v1/devices/T-1/secret', { secret: 'short' }, 'body.secret', 'minLength'],
    ['POST', '/api/v1/devices/T-1/secret', { id: 'T-2' }, 'body.id', 'additionalProperties'],
    ['GET', '/api/v1/devices/bad%20id', undefined, 'params.id', 'pattern'],
    ['DELETE', '/api/v1/devices/bad.id', undefined, 'params.id', 'pattern'],
    ['POST', '/api/v1/devices/bad.id/sync', undefined, 'params.id', 'pattern'],
    ['GET', '/api/v1/history?hours=0', undefined, 'querystring.hours', 'minimum'],
    ['GET', '/api/v1/history?hours=49', undefined, 'querystring.hours', 'maximum'],
    ['GET', '/api/v1/history?hours=day', undefined, 'querystring.hours', 'type'],
    ['GET', '/api/v1/history?from=1', undefined, 'querystring.from', 'additionalProperties'],
    ['GET', '/api/v1/events?since=1', undefined, 'querystring.since', 'additionalProperties']
  ]
  for (const [method, path, body, field, rule] of cases) {
    const res = await asSession(gw, sessions.admin, method, path, body)
    t.equal(res.status, 400, `${method} ${path} ${JSON.stringify(body) ?? ''}: 400`)
    const err = await res.json() as { field: string, rule: string, message: string }
    t.match(err, { error: 'bad_request', field, rule }, `names ${field} and ${rule}`)
    t.match(err.message, new RegExp(`^${field.replace('.', '\\.')}: `))
  }
  t.equal((await asSession(gw, sessions.admin, 'GET', '/api/v1/devices')).status, 200, 'and the API serves on')
})

t.test('add answers the secret once and the device logs in with it; rotate closes the old session and refuses the old secret', async t => {
  const { gw, sessions } = await start(t)
  const added = await asSession(gw, sessions.admin, 'POST', '/api/v1/devices', { id: 'R-1' })
  t.equal(added.status, 201)
  const { secret } = await added.json() as { secret: string }
  t.ok(secret.length >= 24, 'a generated secret')
  const again = await asSession(gw, sessions.admin, 'POST', '/api/v1/devices', { id: 'R-1', secret: 'chosen-secret' })
  t.equal(again.status, 409, 'adding a registered device again: 409')
  t.match(await again.json(), { error: 'exists', message: /secret/ })
  const chosen = await asSession(gw, sessions.admin, 'POST', '/api/v1/devices', { id: 'R-2', secret: 'chosen-secret' })
  t.same(await chosen.json(), { id: 'R-2', secret: 'chosen-secret' }, 'a chosen secret is taken')

  const device = await connectDevice(gw.mqttUrl, 'R-1', { secret })
  let closed = false
  device.client.on('close', () => { closed = true })
  await device.publish(batch('b-1', [1, 2]))
  await device.ackFor('b-1')

  const rotated = await asSession(gw, sessions.admin, 'POST', '/api/v1/devices/R-1/secret', undefined)
  t.equal(rotated.status, 200)
  const fresh = await rotated.json() as { secret: string, disconnected: boolean }
  t.not(fresh.secret, secret, 'a new secret')
  t.equal(fresh.disconnected, true, 'the live session was closed')
  await until(() => closed, 'the session made with the old secret to close', 5000)
  await device.close()
  await t.rejects(connectDevice(gw.mqttUrl, 'R-1', { secret }), 'the old secret is refused')
  const back = await connectDevice(gw.mqttUrl, 'R-1', { secret: fresh.secret })
  await back.publish(batch('b-2', [3]))
  await back.ackFor('b-2')
  await back.close()
  t.equal((await asSession(gw, sessions.admin, 'POST', '/api/v1/devices/NOPE/secret', { secret: 'another-secret' })).status, 404, 'an unknown device: 404')

  const actions = (await auditActions(gw)).filter(e => e.action.startsWith('device.'))
  t.same(actions.map(e => [e.action, e.target, e.actor]).reverse(), [
    ['device.add', 'R-1', 'op-admin'], ['device.add', 'R-2', 'op-admin'], ['device.secret', 'R-1', 'op-admin']
  ], 'each change audited, by whom')
})

t.test('sync now reaches a connected device; 409 when it is offline, 404 when unknown', async t => {
  const { gw, data, sessions } = await start(t)
  await addWithCli(data, 'S-1', 'secret-of-S-1')
  t.equal((await asSession(gw, sessions.admin, 'POST', '/api/v1/devices/S-1/sync')).status, 409, 'offline: 409')
  const offline = await (await asSession(gw, sessions.admin, 'POST', '/api/v1/devices/S-1/sync')).json() as { error: string, message: string }
  t.match(offline, { error: 'not_online', message: /not connected/ }, 'with the reason')
  t.equal((await asSession(gw, sessions.admin, 'POST', '/api/v1/devices/NOPE/sync')).status, 404)

  const device = await connectDevice(gw.mqttUrl, 'S-1', { secret: 'secret-of-S-1' })
  t.teardown(async () => await device.close())
  await until(() => device.commands.length === 1, 'the time command of the connection')
  await until(async () => ((await (await gw.api('/api/v1/devices/S-1')).json()) as { online: boolean }).online, 'S-1 online')
  const before = Date.now()
  const sync = await asSession(gw, sessions.admin, 'POST', '/api/v1/devices/S-1/sync')
  t.equal(sync.status, 202)
  t.same(await sync.json(), { id: 'S-1', sent: ['time'] })
  await until(() => device.commands.length === 2, 'the command sync now sends', 5000)
  const cmd = device.commands[1] as { op: string, now: number }
  t.equal(cmd.op, 'time', 'the time command (what the device gets when it comes online)')
  t.ok(cmd.now >= before - 1000, 'with the time now')
  t.match((await auditActions(gw))[0], { action: 'device.sync', target: 'S-1', actor: 'op-admin' })
})

t.test('remove closes the session and refuses the device; its stored punches stay and still go upstream', async t => {
  const sink = new WebhookUpstream()
  await sink.start()
  t.teardown(async () => await sink.close())
  let upstreamDown = true
  sink.respond(() => ({ status: upstreamDown ? 503 : 200 }))
  const { gw, data, sessions } = await start(t, { forward: { backoffBaseMs: 100, backoffCapMs: 300 } }, sink.url)
  await addWithCli(data, 'D-1', 'secret-of-D-1')
  const device = await connectDevice(gw.mqttUrl, 'D-1', { secret: 'secret-of-D-1' })
  let closed = false
  device.client.on('close', () => { closed = true })
  await device.publish(batch('b-1', [1, 2, 3]))
  await device.ackFor('b-1')

  const removed = await asSession(gw, sessions.admin, 'DELETE', '/api/v1/devices/D-1')
  t.equal(removed.status, 200)
  t.same(await removed.json(), { id: 'D-1', removed: true, disconnected: true })
  await until(() => closed, 'its session to close', 5000)
  await device.close()
  await t.rejects(connectDevice(gw.mqttUrl, 'D-1', { secret: 'secret-of-D-1' }), 'its secret no longer opens a session')
  // Its last will must not bring the row back (device-store.ts, #removed); statuses are written within a second.
  await new Promise(resolve => setTimeout(resolve, 1500))
  t.same((await (await gw.api('/api/v1/devices')).json()), { items: [] }, 'gone from the list')
  t.equal((await asSession(gw, sessions.admin, 'DELETE', '/api/v1/devices/D-1')).status, 404, 'a second remove: 404')

  const punches = await (await asSession(gw, sessions.hr, 'GET', '/api/v1/punches?device=D-1')).json() as { punches: unknown[] }
  t.equal(punches.punches.length, 3, 'its stored punches stay')
  upstreamDown = false
  await sink.waitFor(() => sink.received.size === 3, 15_000)
  t.pass('and still go upstream')
  t.match((await auditActions(gw))[0], { action: 'device.remove', target: 'D-1', actor: 'op-admin' })
})
