/**
 * Operators' sessions on a real gateway process: the cookie's flags, CSRF refusal of changes made on a
 * session without its token, logout, a disabled operator locked out, failed logins rate-limited per name
 * and per address, an audit row for each change, and the `punchline operators` command.
 */
import t from 'tap'
import { cli, startGatewayProcess } from './helpers/gateway-process.js'
import { addOperator, asSession, login, postJson, refusedCount } from './helpers/api-v1.js'

t.test('the session cookie is httpOnly and SameSite=Strict; a change needs the CSRF token; logout ends it', async t => {
  const data = t.testdir()
  const gw = await startGatewayProcess({ dataDir: data })
  t.teardown(async () => await gw.stop())
  const hint = gw.logs.find(l => l.msg.startsWith('HTTP API: no admin operator yet'))
  t.match(hint, { api: `http://127.0.0.1:${gw.httpPort}/api/v1`, firstAdmin: `punchline operators add NAME --role admin --data ${data}` }, 'a fresh gateway says how to make the first admin')
  const s = await login(gw, 'ada', await addOperator(data, 'ada', 'admin'))
  t.match(s.setCookie, /^punchline_session=[A-Za-z0-9_-]{43};/, 'a random session id')
  t.match(s.setCookie, /; HttpOnly/i, 'httpOnly: no script reads it')
  t.match(s.setCookie, /; SameSite=Strict/i, 'SameSite=Strict: no other site sends it')
  t.match(s.setCookie, /; Path=\/api\//, 'sent to the API only')
  t.match(s.setCookie, /; Max-Age=43200/, 'lasts 12 h')
  t.notMatch(s.setCookie, /; Secure/i, 'not Secure on the plain-HTTP LAN listener')

  const before = await refusedCount(gw, 'csrf')
  const noCsrf = await asSession(gw, s, 'POST', '/api/v1/operators', { name: 'bob', role: 'hr' }, false)
  t.equal(noCsrf.status, 403, 'a change on a session without X-CSRF-Token: 403')
  t.match(await noCsrf.json(), { error: 'csrf', message: /x-csrf-token/ })
  const wrong = await fetch(gw.httpUrl + '/api/v1/operators', { method: 'POST', headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf.slice(0, -1) + (s.csrf.endsWith('x') ? 'y' : 'x'), 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'bob', role: 'hr' }) })
  t.equal(wrong.status, 403, 'with a wrong CSRF token: 403')
  t.equal(await refusedCount(gw, 'csrf'), before + 2, 'each counted')
  t.equal((await asSession(gw, s, 'GET', '/api/v1/operators', undefined, false)).status, 200, 'a read needs no CSRF token')
  t.notOk((await (await asSession(gw, s, 'GET', '/api/v1/operators')).json() as { operators: Array<{ name: string }> }).operators.some(o => o.name === 'bob'), 'bob was not added')
  const made = await asSession(gw, s, 'POST', '/api/v1/operators', { name: 'bob', role: 'hr' })
  t.equal(made.status, 201, 'with the CSRF token: made')
  t.match(await made.json(), { name: 'bob', role: 'hr', password: /^[A-Za-z0-9_-]{24}$/ })
  t.match(await (await asSession(gw, s, 'GET', '/api/v1/session')).json(), { name: 'ada', role: 'admin', via: 'session', csrfToken: s.csrf }, 'whoami')

  const out = await asSession(gw, s, 'DELETE', '/api/v1/session')
  t.equal(out.status, 204, 'logged out')
  t.match(out.headers.get('set-cookie') ?? '', /^punchline_session=;.*Expires=Thu, 01 Jan 1970/, 'the cookie is cleared')
  t.equal((await asSession(gw, s, 'GET', '/api/v1/session')).status, 401, 'the old cookie opens nothing')
})

t.test('a disabled operator cannot log in and their sessions end', async t => {
  const data = t.testdir()
  const gw = await startGatewayProcess({ dataDir: data })
  t.teardown(async () => await gw.stop())
  const admin = await login(gw, 'ada', await addOperator(data, 'ada', 'admin'))
  const password = await addOperator(data, 'hana', 'hr')
  const hana = await login(gw, 'hana', password)
  t.equal((await asSession(gw, admin, 'POST', '/api/v1/operators/hana/disable')).status, 200)
  t.equal((await asSession(gw, hana, 'GET', '/api/v1/session')).status, 401, 'her session is over')
  t.equal((await postJson(gw, '/api/v1/session', { name: 'hana', password })).status, 401, 'and her password opens nothing')
  t.equal((await asSession(gw, admin, 'POST', '/api/v1/operators/hana/disable')).status, 404, 'disabling twice: 404')
})

t.test('failed logins back off per name, then per address', async t => {
  const data = t.testdir()
  const gw = await startGatewayProcess({ dataDir: data })
  t.teardown(async () => await gw.stop())
  const password = await addOperator(data, 'ada', 'admin')
  const bobs = await addOperator(data, 'bob', 'viewer')
  for (let i = 0; i < 5; i++) t.equal((await postJson(gw, '/api/v1/session', { name: 'ada', password: 'wrong' })).status, 401, `wrong password ${i + 1}: 401`)
  const held = await postJson(gw, '/api/v1/session', { name: 'ada', password })
  t.equal(held.status, 429, 'past five failures even the right password waits')
  t.match(held.headers.get('retry-after'), /^([12]\d|30)$/, 'and is told how long (up to 30 s)')
  t.match(await held.json(), { error: 'too_many_attempts' })
  t.ok(await refusedCount(gw, 'login_failed') >= 5, 'failures counted')
  t.ok(await refusedCount(gw, 'login_throttled') >= 1, 'the refusal counted')

  // Another name from the same address: that address has failed five times already.
  t.equal((await postJson(gw, '/api/v1/session', { name: 'bob', password: bobs })).status, 429, 'the address waits too, whatever name it tries')
})

t.test('every change has its audit row (who, what, when, on what), readable by hr and not by viewer', async t => {
  const data = t.testdir()
  const gw = await startGatewayProcess({ dataDir: data })
  t.teardown(async () => await gw.stop())
  const started = Date.now()
  const admin = await login(gw, 'ada', await addOperator(data, 'ada', 'admin'))
  const hr = await login(gw, 'hana', await addOperator(data, 'hana', 'hr'))
  const viewer = await login(gw, 'vic', await addOperator(data, 'vic', 'viewer'))
  t.equal((await asSession(gw, admin, 'POST', '/api/v1/operators', { name: 'bob', role: 'viewer' })).status, 201)
  t.equal((await asSession(gw, admin, 'POST', '/api/v1/operators/bob/disable')).status, 200)
  t.equal((await asSession(gw, admin, 'POST', '/api/v1/tokens', { name: 'payroll', role: 'hr' })).status, 201)
  t.equal((await asSession(gw, admin, 'POST', '/api/v1/tokens/payroll/disable')).status, 200)
  t.equal((await asSession(gw, viewer, 'GET', '/api/v1/audit')).status, 403, 'a viewer may not read the audit log')
  t.equal((await asSession(gw, viewer, 'DELETE', '/api/v1/session')).status, 204)

  const page = await (await asSession(gw, hr, 'GET', '/api/v1/audit')).json() as { entries: Array<{ at: number, actor: string, action: string, target: string, detail: string | null }> }
  const rows = page.entries.map(e => `${e.actor.startsWith('cli:') ? 'cli' : e.actor} ${e.action} ${e.target}`).reverse()
  t.same(rows, [
    'cli operator.add ada', 'ada session.login ada', 'cli operator.add hana', 'hana session.login hana', 'cli operator.add vic', 'vic session.login vic',
    'ada operator.add bob', 'ada operator.disable bob', 'ada token.add payroll', 'ada token.disable payroll', 'vic session.logout vic'
  ], 'each change in order, with who did it and to what')
  t.match(page.entries.find(e => e.action === 'token.add'), { detail: 'role hr' }, 'and how')
  t.ok(page.entries.every(e => e.at >= started - 1000 && e.at <= Date.now() + 1000), 'and when')

  const first = await (await asSession(gw, hr, 'GET', '/api/v1/audit?limit=4')).json() as { entries: Array<{ id: number }>, next: number }
  t.equal(first.entries.length, 4)
  const second = await (await asSession(gw, hr, 'GET', `/api/v1/audit?limit=4&before=${first.next}`)).json() as { entries: Array<{ id: number }> }
  t.equal(second.entries.length, 4)
  t.ok(second.entries.every(e => e.id < first.next), 'the next page continues where the first ended')
})

t.test('punchline operators: add prints a first password once, list, disable; token add', async t => {
  const data = t.testdir()
  const added = cli(['operators', 'add', 'ada', '--role', 'hr', '--data', data])
  t.equal(added.status, 0, added.stderr)
  const password = /first password: (\S+)/.exec(added.stdout)?.[1]
  t.match(password, /^[A-Za-z0-9_-]{24}$/)
  t.match(cli(['operators', 'add', 'ada', '--role', 'hr', '--data', data]), { status: 1, stderr: /operator ada exists already/ })
  t.match(cli(['operators', 'add', 'bob', '--role', 'boss', '--data', data]), { status: 1, stderr: /--role must be one of admin, hr, viewer/ })
  t.match(cli(['operators', 'add', 'b b', '--role', 'hr', '--data', data]), { status: 1, stderr: /NAME must match/ })
  const token = cli(['operators', 'token', 'add', 'payroll', '--role', 'hr', '--data', data, '--json'])
  t.match(JSON.parse(token.stdout), { name: 'payroll', role: 'hr', token: /^plt_/ })
  const listed = cli(['operators', 'list', '--data', data])
  t.match(listed.stdout, /^ada\thr\tcreated \S+\tenabled$/m)
  t.notMatch(listed.stdout + cli(['operators', 'token', 'list', '--data', data]).stdout, password!, 'no secret is listed')

  const gw = await startGatewayProcess({ dataDir: data })
  t.teardown(async () => await gw.stop())
  const s = await login(gw, 'ada', password!)
  t.match(await (await asSession(gw, s, 'GET', '/api/v1/session')).json(), { name: 'ada', role: 'hr' }, 'the printed password logs in')
  t.equal(cli(['operators', 'disable', 'ada', '--data', data]).status, 0, 'disabled beside the running gateway')
  t.equal((await asSession(gw, s, 'GET', '/api/v1/session')).status, 401, 'which ends her session at once')
  t.match(cli(['operators', 'disable', 'ada', '--data', data]), { status: 1, stdout: /no enabled operator ada/ })
})

t.test('an operator changes their own password; an admin resets one from the command line', async t => {
  const data = t.testdir()
  const gw = await startGatewayProcess({ dataDir: data })
  t.teardown(async () => await gw.stop())
  const first = await addOperator(data, 'ada', 'admin')
  const here = await login(gw, 'ada', first)
  const elsewhere = await login(gw, 'ada', first)
  const change = async (body: unknown): Promise<Response> => await asSession(gw, here, 'POST', '/api/v1/session/password', body)

  t.match(await (await change({ current: first, password: 'short' })).json(), { field: 'body.password', rule: 'minLength' }, 'a new password under 12 characters: 400')
  const wrong = await change({ current: 'not-it', password: 'a long new password' })
  t.equal(wrong.status, 403, 'a wrong current password: 403')
  t.match(await wrong.json(), { error: 'wrong_password', field: 'body.current' })
  t.equal((await asSession(gw, here, 'POST', '/api/v1/session/password', { current: first, password: 'a long new password' }, false)).status, 403, 'without the CSRF token: 403')
  t.equal((await change({ current: first, password: 'a long new password' })).status, 204, 'changed')
  t.equal((await asSession(gw, here, 'GET', '/api/v1/session')).status, 200, 'the session that changed it goes on')
  t.equal((await asSession(gw, elsewhere, 'GET', '/api/v1/session')).status, 401, 'every other session of hers ends')
  t.equal((await postJson(gw, '/api/v1/session', { name: 'ada', password: first })).status, 401, 'the old password opens nothing')
  await login(gw, 'ada', 'a long new password')
  const bySiteToken = await fetch(gw.httpUrl + '/api/v1/session/password', { method: 'POST', headers: { Authorization: `Bearer ${gw.apiToken}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ current: 'x', password: 'a long new password' }) })
  t.equal(bySiteToken.status, 403, 'a token has no password to change')

  const reset = cli(['operators', 'password', 'ada', '--data', data, '--json'])
  t.equal(reset.status, 0, reset.stderr)
  const { password } = JSON.parse(reset.stdout) as { password: string }
  t.equal((await asSession(gw, here, 'GET', '/api/v1/session')).status, 401, 'a reset ends her sessions')
  const again = await login(gw, 'ada', password)
  t.match(cli(['operators', 'password', 'nobody', '--data', data]), { status: 1, stdout: /no enabled operator nobody/ })
  const actions = (await (await asSession(gw, again, 'GET', '/api/v1/audit')).json() as { entries: Array<{ action: string, actor: string }> }).entries.map(e => e.action)
  t.ok(actions.includes('operator.password') && actions.includes('operator.password-reset'), 'both in the audit log')
})
