/**
 * /api/v1/terminals on a real gateway process with its ADMS listener and a fake ZKTeco terminal over real
 * HTTP: each role allowed and refused, bad input named by field and rule, changes audited, a command
 * queued over the API reaching the terminal at its heartbeat with its result recorded, a zone change
 * setting the clock again, and the bad lines a terminal sent listed by line.
 */
import t from 'tap'
import { startGatewayProcess } from './helpers/gateway-process.js'
import { freePort } from './helpers/ports.js'
import { addOperator, asSession, login } from './helpers/api-v1.js'
import { FakeZkTerminal, wallOf } from '../fakes/zkteco/terminal.js'

t.test('terminals over the API', async t => {
  const dir = t.testdir()
  const admsPort = await freePort()
  const passwords = { admin: await addOperator(dir, 'ada', 'admin'), hr: await addOperator(dir, 'hana', 'hr'), viewer: await addOperator(dir, 'vic', 'viewer') }
  const gw = await startGatewayProcess({ dataDir: dir, args: ['--adms-port', String(admsPort)] })
  const terminal = new FakeZkTerminal({ sn: 'API0001', server: `http://127.0.0.1:${admsPort}`, zone: 'UTC' })
  t.teardown(async () => { terminal.close(); await gw.stop() })
  const admin = await login(gw, 'ada', passwords.admin)
  const hr = await login(gw, 'hana', passwords.hr)
  const viewer = await login(gw, 'vic', passwords.viewer)

  await t.test('register: admin only, the zone an IANA name, audited', async t => {
    t.equal((await asSession(gw, hr, 'POST', '/api/v1/terminals', { sn: 'API0001', zone: 'UTC' })).status, 403)
    t.equal((await asSession(gw, viewer, 'POST', '/api/v1/terminals', { sn: 'API0001', zone: 'UTC' })).status, 403)
    t.equal((await asSession(gw, admin, 'POST', '/api/v1/terminals', { sn: 'API0001', zone: 'UTC' }, false)).status, 403, 'no CSRF token')
    const offset = await asSession(gw, admin, 'POST', '/api/v1/terminals', { sn: 'API0001', zone: '+07:00' })
    t.equal(offset.status, 400)
    t.match(await offset.json(), { error: 'bad_request', field: 'body.zone', rule: 'zone' })
    const badSn = await asSession(gw, admin, 'POST', '/api/v1/terminals', { sn: 'no spaces', zone: 'UTC' })
    t.equal(badSn.status, 400)
    t.match(await badSn.json(), { field: 'body.sn', rule: 'pattern' })
    const made = await asSession(gw, admin, 'POST', '/api/v1/terminals', { sn: 'API0001', zone: 'UTC' })
    t.equal(made.status, 201)
    t.match(await made.json(), { sn: 'API0001', device: 'zk-API0001', zone: 'UTC', online: false, lastSeen: null, clockSet: null })
    t.equal((await asSession(gw, admin, 'POST', '/api/v1/terminals', { sn: 'API0001', zone: 'UTC' })).status, 409)
    const audit = await (await asSession(gw, hr, 'GET', '/api/v1/audit')).json() as { entries: Array<{ action: string, actor: string, target: string }> }
    t.match(audit.entries.find(e => e.action === 'terminal.add'), { actor: 'ada', target: 'API0001' })
  })

  await t.test('every role sees the terminals; online once it calls, its clock set by the gateway', async t => {
    t.equal((await terminal.handshake()).status, 200)
    await terminal.heartbeat()
    for (const who of [admin, hr, viewer]) {
      const res = await asSession(gw, who, 'GET', '/api/v1/terminals')
      t.equal(res.status, 200)
      const [item] = ((await res.json()) as { items: Array<Record<string, unknown>> }).items
      t.match(item, { sn: 'API0001', online: true, zone: 'UTC' })
      t.type(item.clockSet, 'number')
    }
    t.equal((await asSession(gw, viewer, 'GET', '/api/v1/terminals/NOPE')).status, 404)
  })

  await t.test('a command queued over the API reaches the terminal at its heartbeat; its result is kept', async t => {
    t.equal((await asSession(gw, hr, 'POST', '/api/v1/terminals/API0001/commands', { command: 'info' })).status, 403)
    const bad = await asSession(gw, admin, 'POST', '/api/v1/terminals/API0001/commands', { command: 'shell rm -rf /' })
    t.equal(bad.status, 400)
    t.match(await bad.json(), { field: 'body.command', rule: 'enum' })
    const queued = await asSession(gw, admin, 'POST', '/api/v1/terminals/API0001/commands', { command: 'info' })
    t.equal(queued.status, 202)
    t.match(await queued.json(), { text: 'INFO' })
    const ran = await terminal.heartbeat()
    t.same(ran.map(c => c.command), ['INFO'])
    const list = await (await asSession(gw, admin, 'GET', '/api/v1/terminals/API0001/commands')).json() as { items: Array<{ text: string, code: number | null, result: string | null }> }
    t.match(list.items[0], { text: 'INFO', code: 0 })
    t.match(list.items[0].result, /TransactionCount=/)
  })

  await t.test('a new zone: read in it from now on, and the terminal\'s clock set in it at once', async t => {
    const moved = await asSession(gw, admin, 'PUT', '/api/v1/terminals/API0001/zone', { zone: 'Asia/Tokyo' })
    t.equal(moved.status, 200)
    t.match(await moved.json(), { zone: 'Asia/Tokyo', clockSet: null })
    const ran = await terminal.heartbeat()
    t.match(ran.map(c => c.command), [/^SET OPTIONS DateTime=/])
    const tokyoNow = Date.parse(wallOf(Date.now(), 'Asia/Tokyo').replace(' ', 'T') + 'Z')
    const shown = Date.parse(terminal.clock().replace(' ', 'T') + 'Z')
    t.ok(Math.abs(shown - tokyoNow) < 5000, 'the terminal now shows Tokyo time')
  })

  await t.test('the lines a terminal sent that could not be read, by line: hr and admin', async t => {
    const res = await fetch(`http://127.0.0.1:${admsPort}/iclock/cdata?SN=API0001&table=ATTLOG&Stamp=1`, { method: 'POST', body: '7\t2026-13-01 08:00:00\t0\t1\n' })
    t.equal(res.status, 200)
    t.equal((await asSession(gw, viewer, 'GET', '/api/v1/terminals/API0001/problems')).status, 403)
    const list = await (await asSession(gw, hr, 'GET', '/api/v1/terminals/API0001/problems')).json() as { items: Array<{ problems: Array<{ line: number, field: string, raw: string }> }> }
    t.match(list.items[0].problems, [{ line: 1, field: 'time', raw: '7\t2026-13-01 08:00:00\t0\t1' }])
  })

  await t.test('removed: its requests are refused from then on', async t => {
    t.equal((await asSession(gw, hr, 'DELETE', '/api/v1/terminals/API0001')).status, 403)
    t.equal((await asSession(gw, admin, 'DELETE', '/api/v1/terminals/API0001')).status, 200)
    t.equal((await terminal.handshake()).status, 403)
    t.equal((await asSession(gw, admin, 'DELETE', '/api/v1/terminals/API0001')).status, 404)
  })
})
