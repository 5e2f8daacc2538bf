/**
 * Make-up punches on a real gateway (a child process, its SQLite file, real HTTP) with a real webhook
 * upstream: a request enters pending; approved, it reaches the upstream flagged manual with the approver;
 * rejected, never; a decision is final; every role allowed and refused; bad input named; every change
 * audited; the sites' monthly limit and window, both ways; a kill -9 between approval and delivery loses
 * nothing.
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import type { UpstreamPunch } from '../shared/upstream.js'
import { cli, startGatewayProcess, writeGatewayConfig, type GatewayProcess } from './helpers/gateway-process.js'
import { addOperator, asBearer, asSession, login, refusedCount, type Login } from './helpers/api-v1.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'

const HOUR = 3_600_000

/** `ms` as ISO 8601 local time at `tzMinutes` east of UTC, with that offset: what an operator types. */
function at (ms: number, tzMinutes = 480): string {
  const sign = tzMinutes < 0 ? '-' : '+'
  const abs = Math.abs(tzMinutes)
  const off = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
  return new Date(Math.floor(ms / 1000) * 1000 + tzMinutes * 60_000).toISOString().slice(0, 19) + off
}

/**
 * Times `hoursAgo` back that share one local month with each other, so a test run at the start of a month
 * still counts them in one month (a day's worth of minutes earlier at most).
 */
function sameMonth (hoursAgo: number[], tzMinutes = 480): number[] {
  const now = Date.now()
  const local = new Date(now + tzMinutes * 60_000)
  const monthStart = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1) - tzMinutes * 60_000
  const oldest = now - Math.max(...hoursAgo) * HOUR
  const shift = oldest < monthStart ? monthStart - oldest + 60_000 : 0
  return hoursAgo.map(h => now - h * HOUR + shift)
}

interface Makeup { id: number, status: string, punchId: string | null, decidedAt: number | null, exceptions: string[], [k: string]: unknown }

async function upstream (t: Test): Promise<WebhookUpstream> {
  const sink = new WebhookUpstream()
  await sink.start()
  t.teardown(() => sink.close())
  return sink
}

async function gateway (t: Test, settings: Record<string, unknown>, sinkUrl: string): Promise<{ gw: GatewayProcess, data: string, config: string }> {
  const dir = t.testdir()
  const config = writeGatewayConfig(dir, { forward: { lingerMs: 10, backoffBaseMs: 50, backoffCapMs: 200 }, backup: { intervalHours: 0 }, ...settings })
  const data = join(dir, 'data')
  const gw = await startGatewayProcess({ dataDir: data, upstream: sinkUrl, allowAnonymous: true, args: ['--config', config] })
  t.teardown(() => gw.stop())
  return { gw, data, config }
}

function manualOf (sink: WebhookUpstream, makeup: number): UpstreamPunch[] {
  return [...sink.punches.values()].filter(p => p.manual?.makeup === makeup)
}

t.test('approve: the punch reaches the upstream flagged manual with the approver; reject: it never does; a decision is final', async t => {
  const sink = await upstream(t)
  const { gw, data } = await gateway(t, { sites: { north: { devices: ['T-*'] } } }, sink.url)
  const hr = await login(gw, 'hana', await addOperator(data, 'hana', 'hr'))
  const ts = sameMonth([2, 3])

  const asked = await asSession(gw, hr, 'POST', '/api/v1/makeups', { emp: 'E1042', ts: at(ts[0]), kind: 'in', reason: 'forgot the badge at home', evidence: 'the guard let her in', device: 'T-1' })
  t.equal(asked.status, 201)
  const a = await asked.json() as Makeup
  t.match(a, { emp: 'E1042', ts: at(ts[0]).replace('+08:00', '.000+08:00'), kind: 'in', reason: 'forgot the badge at home', evidence: 'the guard let her in', status: 'pending', requestedBy: 'hana', decidedBy: null, decidedAt: null, comment: null, punchId: null, device: 'T-1', site: 'north', exceptions: [] })
  const b = await (await asSession(gw, hr, 'POST', '/api/v1/makeups', { emp: 'E1043', ts: at(ts[1]), kind: 'out', reason: 'left early', site: 'north' })).json() as Makeup

  const rejected = await asSession(gw, hr, 'POST', `/api/v1/makeups/${b.id}/reject`, { comment: 'the camera shows him at 18:00' })
  t.equal(rejected.status, 200)
  t.match(await rejected.json(), { status: 'rejected', decidedBy: 'hana', comment: 'the camera shows him at 18:00', punchId: null })
  t.match(await (await asSession(gw, hr, 'POST', `/api/v1/makeups/${b.id}/approve`, {})).json(), { error: 'decided', message: /rejected already/ }, 'a rejected request cannot be approved')

  const approved = await asSession(gw, hr, 'POST', `/api/v1/makeups/${a.id}/approve`, { comment: 'confirmed with her manager' })
  t.equal(approved.status, 200)
  const done = await approved.json() as Makeup
  t.match(done, { status: 'approved', decidedBy: 'hana', comment: 'confirmed with her manager', punchId: new RegExp(`^T-1:[0-9a-f]{8}:${a.id}$`) })
  t.equal((await asSession(gw, hr, 'POST', `/api/v1/makeups/${a.id}/approve`, {})).status, 409, 'approved twice: 409')
  t.equal((await asSession(gw, hr, 'POST', `/api/v1/makeups/${a.id}/reject`, { comment: 'changed my mind' })).status, 409, 'then rejected: 409')

  await sink.waitFor(() => sink.received.has(done.punchId!))
  const p = sink.punches.get(done.punchId!)!
  t.match(p, {
    id: done.punchId,
    device: 'T-1',
    seq: a.id,
    ts: new Date(ts[0] - ts[0] % 1000).toISOString(),
    local: at(ts[0]).replace('+08:00', '.000+08:00'),
    emp: 'E1042',
    employee: 'E1042',
    site: 'north',
    kind: 'in',
    method: 'manual',
    flags: ['manual'],
    manual: { reason: 'forgot the badge at home', makeup: a.id, requestedBy: 'hana', approvedBy: 'hana', comment: 'confirmed with her manager', approvedAt: new Date(done.decidedAt!).toISOString() }
  })
  t.equal(sink.received.get(done.punchId!), 1, 'once')
  t.same(manualOf(sink, b.id), [], 'the rejected request never went upstream')

  const audit = await (await asSession(gw, hr, 'GET', '/api/v1/audit?limit=10')).json() as { entries: Array<{ actor: string, action: string, target: string }> }
  t.match(audit.entries.filter(e => e.action.startsWith('makeup.')), [
    { actor: 'hana', action: 'makeup.approve', target: `makeup ${a.id}` },
    { actor: 'hana', action: 'makeup.reject', target: `makeup ${b.id}` },
    { actor: 'hana', action: 'makeup.request', target: `makeup ${b.id}` },
    { actor: 'hana', action: 'makeup.request', target: `makeup ${a.id}` }
  ], 'every change audited, with who')

  t.match(await (await asSession(gw, hr, 'GET', `/api/v1/makeups/${a.id}`)).json(), done, 'GET by id')
  t.equal((await asSession(gw, hr, 'GET', '/api/v1/makeups/999')).status, 404)
  t.equal((await asSession(gw, hr, 'POST', '/api/v1/makeups/999/approve', {})).status, 404)
})

t.test('each role allowed and refused on every make-up route; bad input names field and rule; pages', async t => {
  const sink = await upstream(t)
  const { gw, data } = await gateway(t, {}, sink.url)
  const admin = await login(gw, 'ada', await addOperator(data, 'ada', 'admin'))
  const hr = await login(gw, 'hana', await addOperator(data, 'hana', 'hr'))
  const viewer = await login(gw, 'vic', await addOperator(data, 'vic', 'viewer'))
  const token = (role: string): string => (JSON.parse(cli(['operators', 'token', 'add', `t-${role}`, '--role', role, '--data', data, '--json']).stdout) as { token: string }).token
  const hrToken = token('hr')
  const viewerToken = token('viewer')
  const ts = sameMonth([1, 1.1, 1.2])
  const body = (i: number): object => ({ emp: `E${i}`, ts: at(ts[i]), kind: 'in', reason: 'missed' })

  const made: number[] = []
  for (const [who, send] of [
    ['hr session', async (m: string, p: string, b?: unknown) => await asSession(gw, hr, m, p, b)],
    ['admin session', async (m: string, p: string, b?: unknown) => await asSession(gw, admin, m, p, b)],
    ['hr token', async (m: string, p: string, b?: unknown) => await asBearer(gw, hrToken, m, p, b)]
  ] as const) {
    const r = await send('POST', '/api/v1/makeups', body(made.length))
    t.equal(r.status, 201, `${who} may ask`)
    const id = (await r.json() as Makeup).id
    made.push(id)
    t.equal((await send('GET', '/api/v1/makeups')).status, 200, `${who} may list`)
    t.equal((await send('GET', `/api/v1/makeups/${id}`)).status, 200, `${who} may read one`)
    const decide = made.length === 2 ? ['reject', { comment: 'no' }] as const : ['approve', {}] as const
    t.equal((await send('POST', `/api/v1/makeups/${id}/${decide[0]}`, decide[1])).status, 200, `${who} may ${decide[0]}`)
  }
  const id = made[0]
  const viewerSends = [
    async (m: string, p: string, b?: unknown) => await asSession(gw, viewer, m, p, b),
    async (m: string, p: string, b?: unknown) => await asBearer(gw, viewerToken, m, p, b)
  ]
  for (const send of viewerSends) {
    for (const [m, p, b] of [['POST', '/api/v1/makeups', body(0)], ['GET', '/api/v1/makeups'], ['GET', `/api/v1/makeups/${id}`], ['POST', `/api/v1/makeups/${id}/approve`, {}], ['POST', `/api/v1/makeups/${id}/reject`, { comment: 'x' }]] as const) {
      const r = await send(m, p, b)
      t.equal(r.status, 403, `a viewer: ${m} ${p}`)
    }
  }
  t.equal((await fetch(gw.httpUrl + '/api/v1/makeups')).status, 401, 'no credentials: 401')
  t.match(await (await asSession(gw, hr, 'POST', '/api/v1/makeups', body(0), false)).json(), { error: 'csrf' }, 'a session change without its CSRF token')

  const refused = await refusedCount(gw, 'invalid_request')
  const bad = async (path: string, b: unknown, field: string, rule: string, method = 'POST'): Promise<void> => {
    const r = await asSession(gw, hr, method, path, b)
    t.equal(r.status, 400, `${field} ${rule}`)
    t.match(await r.json(), { error: 'bad_request', field, rule, message: new RegExp(`^${field.replace(/\./g, '\\.')}: `) })
  }
  const ok = body(0) as Record<string, unknown>
  await bad('/api/v1/makeups', { ...ok, reason: undefined }, 'body.reason', 'required')
  await bad('/api/v1/makeups', { ...ok, reason: '' }, 'body.reason', 'minLength')
  await bad('/api/v1/makeups', { ...ok, reason: 'x'.repeat(201) }, 'body.reason', 'maxLength')
  await bad('/api/v1/makeups', { ...ok, kind: 'break-out' }, 'body.kind', 'enum')
  await bad('/api/v1/makeups', { ...ok, ts: '2026-12-07T09:00:00' }, 'body.ts', 'pattern')
  await bad('/api/v1/makeups', { ...ok, ts: '2026-02-30T09:00:00+08:00' }, 'body.ts', 'format')
  await bad('/api/v1/makeups', { ...ok, ts: '2026-12-07T09:00:00+15:00' }, 'body.ts', 'format')
  await bad('/api/v1/makeups', { ...ok, emp: 'E 1' }, 'body.emp', 'pattern')
  await bad('/api/v1/makeups', { ...ok, evidence: 'x'.repeat(1001) }, 'body.evidence', 'maxLength')
  await bad('/api/v1/makeups', { ...ok, device: 'T 1' }, 'body.device', 'pattern')
  await bad('/api/v1/makeups', { ...ok, site: 'nowhere' }, 'body.site', 'enum')
  await bad('/api/v1/makeups', { ...ok, approved: true }, 'body.approved', 'additionalProperties')
  await bad(`/api/v1/makeups/${id}/reject`, {}, 'body.comment', 'required')
  await bad(`/api/v1/makeups/${id}/approve`, { comment: 'x'.repeat(501) }, 'body.comment', 'maxLength')
  await bad('/api/v1/makeups/x/approve', {}, 'params.id', 'type')
  await bad('/api/v1/makeups?status=maybe', undefined, 'querystring.status', 'enum', 'GET')
  await bad('/api/v1/makeups?limit=0', undefined, 'querystring.limit', 'minimum', 'GET')
  t.ok(await refusedCount(gw, 'invalid_request') >= refused + 17, 'each counted')

  const seen: number[] = []
  let cursor: number | null = null
  do {
    const page = await (await asSession(gw, hr, 'GET', `/api/v1/makeups?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`)).json() as { items: Makeup[], next: number | null }
    t.ok(page.items.length <= 2)
    seen.push(...page.items.map(m => m.id))
    cursor = page.next
  } while (cursor !== null)
  t.same(seen, [...made].reverse(), 'newest first, each once, next null at the end')
  t.same((await (await asSession(gw, hr, 'GET', '/api/v1/makeups?status=rejected')).json() as { items: Makeup[] }).items.map(m => m.id), [made[1]])
  t.same((await (await asSession(gw, hr, 'GET', '/api/v1/makeups?emp=E2')).json() as { items: Makeup[] }).items.map(m => m.id), [made[2]])
})

t.test("a site's monthly limit and window: refused, or let through for approval, as configured", async t => {
  const sink = await upstream(t)
  const { gw, data } = await gateway(t, {
    sites: {
      strict: { devices: ['S-*'], makeup: { monthlyLimit: 1, windowHours: 24, maxWindowHours: 48, beyondLimit: 'refuse', beyondWindow: 'refuse' } },
      lenient: { devices: ['L-*'], makeup: { monthlyLimit: 1, windowHours: 24, maxWindowHours: 72, beyondLimit: 'approval', beyondWindow: 'approval' } }
    }
  }, sink.url)
  const hr = await login(gw, 'hana', await addOperator(data, 'hana', 'hr'))
  const ask = async (b: Record<string, unknown>): Promise<Response> => await asSession(gw, hr, 'POST', '/api/v1/makeups', { kind: 'in', reason: 'missed', ...b })
  const [h2, h3, h4] = sameMonth([2, 3, 4])
  const h30 = Date.now() - 30 * HOUR

  // strict: beyond each rule is refused, naming it
  const first = await (await ask({ emp: 'E1', ts: at(h2), device: 'S-1' })).json() as Makeup
  const over = await ask({ emp: 'E1', ts: at(h3), device: 'S-1' })
  t.equal(over.status, 422)
  t.match(await over.json(), { error: 'makeup_refused', rule: 'over-limit', field: 'body.emp', message: /monthlyLimit is 1/ })
  t.equal((await ask({ emp: 'E2', ts: at(h3), device: 'S-1' })).status, 201, 'another person has a limit of their own')
  const late = await ask({ emp: 'E3', ts: at(h30), device: 'S-1' })
  t.match({ status: late.status, ...await late.json() as object }, { status: 422, rule: 'outside-window', field: 'body.ts', message: /windowHours/ })
  t.match(await (await ask({ emp: 'E3', ts: at(Date.now() - 49 * HOUR), site: 'strict' })).json(), { rule: 'beyond-max-window' })
  t.match(await (await ask({ emp: 'E3', ts: at(Date.now() + HOUR), site: 'strict' })).json(), { rule: 'future' })
  t.equal(await refusedCount(gw, 'makeup_over_limit'), 1, 'counted by rule')
  t.equal(await refusedCount(gw, 'makeup_outside_window'), 1)
  await asSession(gw, hr, 'POST', `/api/v1/makeups/${first.id}/reject`, { comment: 'duplicate' })
  t.equal((await ask({ emp: 'E1', ts: at(h3), device: 'S-1' })).status, 201, 'a rejected request no longer counts')

  // lenient: beyond the window (up to its max) and the limit, hr decides, and sees why
  const old = await ask({ emp: 'E8', ts: at(h30), device: 'L-1' })
  t.equal(old.status, 201)
  const oldM = await old.json() as Makeup
  t.same(oldM.exceptions, ['outside-window'])
  t.match(await (await ask({ emp: 'E8', ts: at(Date.now() - 73 * HOUR), device: 'L-1' })).json(), { rule: 'beyond-max-window' }, 'never past maxWindowHours')
  const first9 = await (await ask({ emp: 'E9', ts: at(h2), device: 'L-1' })).json() as Makeup
  t.same(first9.exceptions, [])
  const second = await (await ask({ emp: 'E9', ts: at(h3), device: 'L-1' })).json() as Makeup
  t.same(second.exceptions, ['over-limit'], 'the pending one counts')
  const third = await (await ask({ emp: 'E9', ts: at(h4), device: 'L-1' })).json() as Makeup

  // The limit counts approved make-ups: the first approved is within it, the next goes up flagged over-limit.
  const a0 = await (await asSession(gw, hr, 'POST', `/api/v1/makeups/${oldM.id}/approve`)).json() as Makeup
  const a1 = await (await asSession(gw, hr, 'POST', `/api/v1/makeups/${first9.id}/approve`, {})).json() as Makeup
  await asSession(gw, hr, 'POST', `/api/v1/makeups/${third.id}/reject`, { comment: 'no' })
  const a2 = await (await asSession(gw, hr, 'POST', `/api/v1/makeups/${second.id}/approve`, {})).json() as Makeup
  await sink.waitFor(() => [a0, a1, a2].every(a => sink.received.has(a.punchId!)))
  t.same(sink.punches.get(a0.punchId!)!.flags, ['manual'], 'outside the window, approved (a POST with no body): manual')
  t.same(sink.punches.get(a1.punchId!)!.flags, ['manual'])
  t.same(sink.punches.get(a2.punchId!)!.flags, ['manual', 'over-limit'], 'one approved make-up already counts')
  t.same(manualOf(sink, third.id), [])
})

t.test("an approved make-up counts toward the device rule's monthly limit (rules.manualMonthlyLimit)", async t => {
  const sink = await upstream(t)
  const { gw, data } = await gateway(t, { rules: { manualMonthlyLimit: 1 } }, sink.url)
  const hr = await login(gw, 'hana', await addOperator(data, 'hana', 'hr'))
  const [h2] = sameMonth([2], 480)
  const m = await (await asSession(gw, hr, 'POST', '/api/v1/makeups', { emp: 'E1001', ts: at(h2), kind: 'in', reason: 'missed', device: 'T-7' })).json() as Makeup
  await asSession(gw, hr, 'POST', `/api/v1/makeups/${m.id}/approve`, {})
  const dev = await connectDevice(gw.mqttUrl, 'T-7')
  t.teardown(() => dev.close())
  // A make-up typed at the terminal for the same badge, later that hour: the approved one already counts.
  await dev.publish(batch('b-1', [1], { punches: [{ seq: 1, ts: h2 + 60_000, emp: 'E1001', kind: 'out', method: 'manual', manual: { reason: 'typed at the terminal' } }] }))
  await dev.ackFor('b-1')
  await sink.waitFor(() => sink.received.has('T-7:9f2c41d0:1'))
  t.same(sink.punches.get('T-7:9f2c41d0:1')!.flags, ['manual', 'over-limit'])
})

t.test('kill -9 between approval and delivery: after the restart the punch arrives, once', async t => {
  const sink = await upstream(t)
  sink.respond(() => ({ status: 503 }))
  const { gw, data, config } = await gateway(t, {}, sink.url)
  const hr: Login = await login(gw, 'hana', await addOperator(data, 'hana', 'hr'))
  const [h2] = sameMonth([2])
  const m = await (await asSession(gw, hr, 'POST', '/api/v1/makeups', { emp: 'E5', ts: at(h2), kind: 'out', reason: 'phone died' })).json() as Makeup
  const a = await (await asSession(gw, hr, 'POST', `/api/v1/makeups/${m.id}/approve`, { comment: 'ok' })).json() as Makeup
  t.match(a.punchId, /^makeup:[0-9a-f]{8}:\d+$/, 'no device named: the make-up device')
  await until(() => sink.requests.length > 0, 'the upstream to be tried')
  t.equal(sink.received.size, 0, 'not delivered yet')
  gw.kill('SIGKILL')
  await gw.exited

  sink.respond(() => ({ status: 200 }))
  const again = await startGatewayProcess({ dataDir: data, upstream: sink.url, allowAnonymous: true, args: ['--config', config] })
  t.teardown(() => again.stop())
  await sink.waitFor(() => sink.received.has(a.punchId!))
  t.match(sink.punches.get(a.punchId!), { flags: ['manual'], manual: { reason: 'phone died', approvedBy: 'hana', comment: 'ok' } })
  t.match(await (await again.api(`/api/v1/makeups/${m.id}`)).json(), { status: 'approved', punchId: a.punchId }, 'the decision survived')
  t.equal(sink.received.get(a.punchId!), 1)
})

t.test('an evidence file: bounded, checked, kept in SQLite, served back to hr as a download; final once decided', async t => {
  const sink = await upstream(t)
  const { gw, data } = await gateway(t, {}, sink.url)
  const hr = await login(gw, 'hana', await addOperator(data, 'hana', 'hr'))
  const viewer = await login(gw, 'vic', await addOperator(data, 'vic', 'viewer'))
  const [h1] = sameMonth([1])
  const m = await (await asSession(gw, hr, 'POST', '/api/v1/makeups', { emp: 'E7', ts: at(h1), kind: 'in', reason: 'badge left at home', evidence: 'photo of the sign-in sheet' })).json() as Makeup
  const put = async (s: Login, type: string, body: Buffer, id = m.id): Promise<Response> =>
    await fetch(`${gw.httpUrl}/api/v1/makeups/${id}/attachment`, { method: 'PUT', headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf, 'Content-Type': type }, body })
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2000, 7)])

  const added = await put(hr, 'image/png', png)
  t.equal(added.status, 200)
  t.match(await added.json(), { id: m.id, attachment: { type: 'image/png', size: png.length, sha256: /^[0-9a-f]{64}$/ } })
  t.match(await (await asSession(gw, hr, 'GET', `/api/v1/makeups/${m.id}`)).json(), { attachment: { type: 'image/png', size: png.length } })
  const got = await asSession(gw, hr, 'GET', `/api/v1/makeups/${m.id}/attachment`)
  t.equal(got.status, 200)
  t.equal(got.headers.get('content-type'), 'image/png')
  t.equal(got.headers.get('x-content-type-options'), 'nosniff')
  t.match(got.headers.get('content-disposition'), /^attachment; filename="makeup-\d+\.png"$/)
  t.ok(Buffer.from(await got.arrayBuffer()).equals(png), 'the same bytes back')

  t.equal((await put(viewer, 'image/png', png)).status, 403, 'a viewer may not add one')
  t.equal((await asSession(gw, viewer, 'GET', `/api/v1/makeups/${m.id}/attachment`)).status, 403, 'nor read one')
  t.equal((await fetch(`${gw.httpUrl}/api/v1/makeups/${m.id}/attachment`)).status, 401)
  t.equal((await put(hr, 'text/html', Buffer.from('<script>alert(1)</script>'))).status, 415, 'a type not taken: 415')
  t.match(await (await put(hr, 'image/png', Buffer.from('<script>alert(1)</script>'))).json(), { field: 'body', rule: 'content' }, 'not what it says it is: 400')
  t.equal((await put(hr, 'application/pdf', Buffer.concat([Buffer.from('%PDF-'), Buffer.alloc(1024 * 1024)]))).status, 413, 'over the limit: 413')
  t.equal((await put(hr, 'image/png', png, 999)).status, 404)
  t.equal((await asSession(gw, hr, 'GET', '/api/v1/makeups/999/attachment')).status, 404)

  await asSession(gw, hr, 'POST', `/api/v1/makeups/${m.id}/approve`, {})
  t.equal((await put(hr, 'image/jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]))).status, 409, 'decided: its evidence is final')
  const audit = await (await asSession(gw, hr, 'GET', '/api/v1/audit?limit=5')).json() as { entries: Array<{ action: string, detail: string }> }
  t.match(audit.entries.find(e => e.action === 'makeup.attachment'), { detail: new RegExp(`^image/png, ${png.length} bytes, sha256 [0-9a-f]{64}$`) })
})
