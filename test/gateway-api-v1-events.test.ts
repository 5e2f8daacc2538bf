/**
 * GET /api/v1/events on a real gateway process, read by real HTTP clients, fed by real devices over MQTT:
 * a device coming online arrives as a `device` event, a stored punch as a `punch` event within a second
 * of its ack (without badge or person for the viewer role), a dead letter and its alarm as events;
 * Last-Event-ID resumes from the replay window (or says reset); a client that stops reading is dropped and
 * counted while the others go on; past http.maxEventStreams a stream is refused and counted; a stream
 * outlives the request deadline, gets a heartbeat, and ends once its session is logged out.
 */
import t, { type Test } from 'tap'
import { connect } from 'node:net'
import { join } from 'node:path'
import { cliAsync, startGatewayProcess, writeGatewayConfig, type GatewayProcess } from './helpers/gateway-process.js'
import { addOperator, asSession, login, type Login, type Role } from './helpers/api-v1.js'
import { batch, connectDevice } from './helpers/mqtt-device.js'
import { SseClient } from './helpers/sse.js'
import { until } from './helpers/wait.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'

const ROLES: Role[] = ['admin', 'hr', 'viewer']

interface Started { gw: GatewayProcess, data: string, sessions: Record<Role, Login>, tokens: Record<Role, string> }

async function start (t: Test, settings: Record<string, unknown> = {}, upstream?: string): Promise<Started> {
  const dir = t.testdir()
  const data = join(dir, 'gw')
  const config = writeGatewayConfig(dir, settings)
  const gw = await startGatewayProcess({ dataDir: data, args: ['--config', config], upstream })
  t.teardown(async () => await gw.stop())
  // The CLI's one-shot commands before the first request; one at a time: run at once, one of them met
  // the others' lock ("database is locked").
  const passwords: string[] = []
  for (const role of ROLES) passwords.push(await addOperator(data, `op-${role}`, role))
  for (const id of ['E-1', 'E-2']) {
    const r = await cliAsync(['devices', 'add', id, '--secret', `secret-of-${id}`, '--data', data])
    if (r.status !== 0) throw new Error(r.stderr)
  }
  const sessions = {} as Record<Role, Login>
  const tokens = {} as Record<Role, string>
  for (const [i, role] of ROLES.entries()) {
    sessions[role] = await login(gw, `op-${role}`, passwords[i])
    const made = await asSession(gw, sessions.admin, 'POST', '/api/v1/tokens', { name: `tok-${role}`, role })
    tokens[role] = (await made.json() as { token: string }).token
  }
  return { gw, data, sessions, tokens }
}

async function stream (t: Test, gw: GatewayProcess, headers: Record<string, string>): Promise<SseClient> {
  const s = await SseClient.open(gw.httpUrl + '/api/v1/events', headers)
  t.teardown(async () => await s.close())
  return s
}

async function metric (gw: GatewayProcess, name: string, labels: string): Promise<number> {
  const text = await (await fetch(gw.httpUrl + '/metrics')).text()
  const m = new RegExp(`^${name}\\{${labels}\\} (\\d+)`, 'm').exec(text)
  return m === null ? 0 : Number(m[1])
}

t.test('a device online and a punch arrive as events, the punch within a second of its ack; the viewer sees no badge', async t => {
  const { gw, sessions, tokens } = await start(t)
  const admin = await stream(t, gw, { Cookie: sessions.admin.cookie })
  const hr = await stream(t, gw, { Authorization: `Bearer ${tokens.hr}` })
  const viewer = await stream(t, gw, { Authorization: `Bearer ${tokens.viewer}` })
  for (const s of [admin, hr, viewer]) {
    t.equal(s.status, 200)
    t.match(s.headers.get('content-type'), /^text\/event-stream/)
  }
  t.equal((await fetch(gw.httpUrl + '/api/v1/events')).status, 401, 'without credentials: 401')
  t.equal((await fetch(gw.httpUrl + '/api/v1/events', { method: 'HEAD', headers: { Cookie: sessions.admin.cookie } })).status, 404, 'HEAD opens no stream')

  const device = await connectDevice(gw.mqttUrl, 'E-1', { secret: 'secret-of-E-1' })
  await until(() => admin.of('device').some(d => d.id === 'E-1' && d.change === 'online'), 'the device event of E-1 coming online', 5000)
  t.match(admin.of('device').find(d => d.change === 'online'), { id: 'E-1', online: true, hasSecret: true, ring: null }, 'the item of GET /api/v1/devices')
  await until(() => viewer.of('device').length > 0, 'the viewer has it too')

  await device.publish(batch('b-1', [1, 2, 3]))
  await device.ackFor('b-1')
  // How soon after the punch: npm run bench (docs/BENCHMARKS.md, "Online latency": punch → live event).
  await until(() => admin.of('punch').length === 3 && viewer.of('punch').length === 3 && hr.of('punch').length === 3, 'three punch events on each stream', 5000)
  t.match(admin.of('punch')[0], { id: Number, device: 'E-1', epoch: '9f2c41d0', seq: Number, emp: /^E10/, kind: /in|out/, method: 'card', flags: [], ts: Number, received: Number })
  t.same(admin.of('punch').map(p => p.seq).sort(), [1, 2, 3])
  t.same(hr.of('punch'), admin.of('punch'), 'hr sees what admin sees')
  for (const p of viewer.of('punch')) {
    t.notOk('emp' in p || 'person' in p, 'the viewer gets no badge and no person')
    t.equal(p.device, 'E-1')
  }
  t.ok(admin.events.filter(e => e.event === 'punch').every(e => /^[0-9a-z]+-\d+$/.test(e.id ?? '')), 'each event has an id to resume from')

  await device.close()
  await until(() => admin.of('device').some(d => d.id === 'E-1' && d.change === 'offline'), 'the device event of E-1 going offline', 5000)
})

t.test('Last-Event-ID resumes from the replay window; an unknown or old id gets reset', async t => {
  const { gw, sessions } = await start(t)
  const first = await stream(t, gw, { Cookie: sessions.admin.cookie })
  const device = await connectDevice(gw.mqttUrl, 'E-1', { secret: 'secret-of-E-1' })
  t.teardown(async () => await device.close())
  await device.publish(batch('b-1', [1, 2, 3, 4]))
  await until(() => first.of('punch').length === 4, 'four punch events')
  const events = first.events.filter(e => e.event === 'punch')
  const resumed = await stream(t, gw, { Cookie: sessions.admin.cookie, 'Last-Event-ID': events[1].id! })
  await until(() => resumed.of('punch').length === 2, 'the two events after the one it had')
  t.same(resumed.events.filter(e => e.event === 'punch').map(e => e.id), events.slice(2).map(e => e.id), 'exactly the events it missed, in order')
  const stale = await stream(t, gw, { Cookie: sessions.admin.cookie, 'Last-Event-ID': '1a2b3c-7' })
  await until(() => stale.events.length > 0, 'an answer for an id of another gateway run')
  t.equal(stale.events[0].event, 'reset', 'reset: reload what you show')
  const byQuery = await SseClient.open(`${gw.httpUrl}/api/v1/events?lastEventId=${events[0].id!}`, { Cookie: sessions.admin.cookie })
  t.teardown(async () => await byQuery.close())
  await until(() => byQuery.of('punch').length === 3, 'lastEventId in the query string works as the header')
})

t.test('a client that stops reading is dropped and counted; the others get every event', async t => {
  const { gw, sessions } = await start(t, { http: { eventQueueBytes: 65536 } })
  const reader = await stream(t, gw, { Cookie: sessions.admin.cookie })
  // A client that sends its request and never reads: the kernel's buffers fill, then its queue.
  const slow = connect(gw.httpPort, '127.0.0.1')
  await new Promise<void>(resolve => slow.once('connect', () => resolve()))
  slow.write(`GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${sessions.admin.cookie}\r\n\r\n`)
  let head = ''
  await new Promise<void>(resolve => {
    const onData = (d: Buffer): void => {
      head += d.toString()
      if (head.includes('\r\n\r\n')) { slow.off('data', onData); slow.pause(); resolve() }
    }
    slow.on('data', onData)
  })
  t.match(head, /^HTTP\/1\.1 200/)
  let slowClosed = false
  slow.once('close', () => { slowClosed = true })
  t.teardown(() => { slow.destroy() })

  const device = await connectDevice(gw.mqttUrl, 'E-1', { secret: 'secret-of-E-1' })
  t.teardown(async () => await device.close())
  // About 5 MB of punch events, past what the kernel takes for a client that reads nothing (a few MB on
  // loopback), in batches small enough that the reading client keeps up with each burst.
  const BATCHES = 200
  const SIZE = 100
  for (let b = 0; b < BATCHES; b++) {
    const seqs = Array.from({ length: SIZE }, (_, i) => b * SIZE + i + 1)
    await device.publish(batch(`b-${b}`, seqs))
  }
  await device.ackFor(`b-${BATCHES - 1}`, 30_000)
  let seen = ''
  await until(async () => {
    const text = await (await fetch(gw.httpUrl + '/metrics')).text()
    seen = text.split('\n').filter(l => /event_streams|punches_total/.test(l) && !l.startsWith('#')).join('; ') + ` reader ${reader.of('punch').length}`
    return await metric(gw, 'punchline_event_streams_dropped_total', 'reason="slow"') === 1
  }, () => `the slow stream dropped and counted (${seen})`, 30_000)
  await until(() => reader.of('punch').length === BATCHES * SIZE, () => `every punch event at the reader (${reader.of('punch').length})`, 30_000)
  t.notOk(reader.ended, 'the reading stream goes on')
  slow.resume()
  await until(() => slowClosed, 'the slow connection closed by the gateway', 10_000)
  t.equal(await metric(gw, 'punchline_event_streams_open', ''), 0, 'no stream left open but the reader')
})

t.test('past http.maxEventStreams a stream is refused with 503 and counted; a closed one frees its place', async t => {
  const { gw, sessions, tokens } = await start(t, { http: { maxEventStreams: 2 } })
  const a = await stream(t, gw, { Cookie: sessions.admin.cookie })
  await stream(t, gw, { Authorization: `Bearer ${tokens.viewer}` })
  t.equal(a.status, 200)
  const refused = await fetch(gw.httpUrl + '/api/v1/events', { headers: { Cookie: sessions.hr.cookie } })
  t.equal(refused.status, 503)
  t.equal(refused.headers.get('retry-after'), '30')
  t.match(await refused.json(), { error: 'too_many_streams', message: /http\.maxEventStreams/ })
  t.equal(await metric(gw, 'punchline_event_streams_refused_total', 'reason="cap"'), 1, 'counted')
  t.equal((await asSession(gw, sessions.hr, 'GET', '/api/v1/devices')).status, 200, 'other requests are served')
  await a.close()
  await until(async () => {
    const again = await SseClient.open(gw.httpUrl + '/api/v1/events', { Cookie: sessions.hr.cookie })
    t.teardown(async () => await again.close())
    return again.status === 200
  }, 'a stream once one closed', 5000, 200)
})

t.test('a dead letter and the alarm it raises arrive as events; the viewer gets no upstream answer', async t => {
  const sink = new WebhookUpstream()
  await sink.start()
  t.teardown(async () => await sink.close())
  sink.respond(() => ({ status: 422, body: '{"error":"employee E1001 unknown"}' }))
  const { gw, sessions, tokens } = await start(t, { alarms: { intervalSeconds: 0.5 } }, sink.url)
  const admin = await stream(t, gw, { Cookie: sessions.admin.cookie })
  const viewer = await stream(t, gw, { Authorization: `Bearer ${tokens.viewer}` })
  const device = await connectDevice(gw.mqttUrl, 'E-1', { secret: 'secret-of-E-1' })
  t.teardown(async () => await device.close())
  await device.publish(batch('b-1', [1]))
  await until(() => admin.of('dead-letter').length > 0, 'the dead-letter event', 15_000)
  t.match(admin.of('dead-letter')[0], { kind: 'refused', count: 1, error: /422/ })
  await until(() => viewer.of('dead-letter').length > 0, 'the viewer has it too')
  t.notOk('error' in viewer.of('dead-letter')[0], 'without the upstream answer')
  await until(() => admin.of('alarm').some(a => a.name === 'dead-letters' && a.state === 'raised'), 'the dead-letters alarm raised', 10_000)
  t.match(admin.of('alarm').find(a => a.name === 'dead-letters'), { state: 'raised', severity: String, message: /refused by the upstream/ })
})

t.test('a stream outlives the request deadline, gets a heartbeat, and ends once its session is logged out', async t => {
  const { gw, sessions } = await start(t, { http: { headersTimeoutMs: 1000, requestTimeoutMs: 2000, eventHeartbeatSeconds: 3 } })
  const s = await stream(t, gw, { Cookie: sessions.viewer.cookie })
  await until(() => s.comments.includes('heartbeat'), 'a heartbeat comment', 20_000, 200)
  // A heartbeat comes after 3 s, past the 2 s request deadline.
  t.notOk(s.ended, 'still open past http.requestTimeoutMs')
  t.equal((await asSession(gw, sessions.viewer, 'DELETE', '/api/v1/session')).status, 204)
  await until(() => s.ended, 'the stream to end at the next heartbeat', 20_000, 200)
  t.pass('ended')
})
