/**
 * Reviews of flagged punches on a real gateway with real upstreams: punches flagged late-sync are listed
 * for review; hr confirms, an admin disputes, once each; the decisions reach the webhook as `reviews`
 * beside empty `punches` under an Idempotency-Key kept across retries and a kill -9, and the upstream MQTT
 * broker on `{topic}/reviews`; every role allowed and refused, bad input named, decisions audited.
 */
import t from 'tap'
import { join } from 'node:path'
import { WebhookUpstream, type WebhookRequest } from '../fakes/upstream/webhook-upstream.js'
import { UpstreamBroker } from '../fakes/upstream/upstream-broker.js'
import { cli, startGatewayProcess, writeGatewayConfig } from './helpers/gateway-process.js'
import { addOperator, asBearer, asSession, login } from './helpers/api-v1.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'

interface Review { punch: { id: number, seq: number, flags: string[] }, status: string, decidedBy: string | null, decidedAt: number | null, comment: string | null }
interface Page { items: Review[], next: number | null }

const reviewBatches = (sink: WebhookUpstream): WebhookRequest[] => sink.requests.filter(r => r.body?.reviews !== undefined)

t.test('flagged punches reviewed: listed, decided once, audited, and the decisions reach the webhook; roles and bad input', async t => {
  const sink = new WebhookUpstream()
  await sink.start()
  t.teardown(() => sink.close())
  const dir = t.testdir()
  const config = writeGatewayConfig(dir, { rules: { lateSyncMs: 10_000 }, forward: { lingerMs: 10 }, backup: { intervalHours: 0 } })
  const data = join(dir, 'data')
  const gw = await startGatewayProcess({ dataDir: data, upstream: sink.url, allowAnonymous: true, args: ['--config', config] })
  t.teardown(() => gw.stop())
  const hr = await login(gw, 'hana', await addOperator(data, 'hana', 'hr'))
  const admin = await login(gw, 'ada', await addOperator(data, 'ada', 'admin'))
  const viewer = await login(gw, 'vic', await addOperator(data, 'vic', 'viewer'))
  const hrToken = (JSON.parse(cli(['operators', 'token', 'add', 'desk', '--role', 'hr', '--data', data, '--json']).stdout) as { token: string }).token

  const dev = await connectDevice(gw.mqttUrl, 'T-1')
  t.teardown(() => dev.close())
  await dev.publish(batch('b-1', [1, 2, 3])) // taken a minute ago: late-sync with lateSyncMs 10 s
  await dev.ackFor('b-1')
  await dev.publish(batch('b-2', [4], { punches: [{ seq: 4, ts: Date.now(), emp: 'E1004', kind: 'out', method: 'card' }] }))
  await dev.ackFor('b-2')
  await sink.waitFor(() => sink.received.size === 4)

  const open = await (await asSession(gw, hr, 'GET', '/api/v1/reviews?status=open')).json() as Page
  t.same(open.items.map(r => r.punch.seq), [3, 2, 1], 'the flagged ones, newest first')
  t.match(open.items[0], { punch: { device: 'T-1', emp: 'E1003', flags: ['late-sync'] }, status: 'open', decidedBy: null, decidedAt: null, comment: null })
  const [p3, p2, p1] = open.items.map(r => r.punch.id)
  const first = await (await asSession(gw, hr, 'GET', '/api/v1/reviews?limit=2')).json() as Page
  t.equal(first.items.length, 2)
  t.not(first.next, null)
  const second = await (await asSession(gw, hr, 'GET', `/api/v1/reviews?limit=2&cursor=${first.next!}`)).json() as Page
  t.same(second.items.map(r => r.punch.id), [p1])
  t.equal(second.next, null, 'next is null on the last page')

  // roles
  t.equal((await asSession(gw, viewer, 'GET', '/api/v1/reviews')).status, 403, 'a viewer may not list')
  t.equal((await asSession(gw, viewer, 'POST', `/api/v1/punches/${p1}/review`, { decision: 'confirm', comment: 'x' })).status, 403, 'a viewer may not decide')
  const viewerToken = (JSON.parse(cli(['operators', 'token', 'add', 'wall', '--role', 'viewer', '--data', data, '--json']).stdout) as { token: string }).token
  t.equal((await asBearer(gw, viewerToken, 'GET', '/api/v1/reviews')).status, 403, 'a viewer token may not list')
  t.equal((await asBearer(gw, viewerToken, 'POST', `/api/v1/punches/${p1}/review`, { decision: 'confirm', comment: 'x' })).status, 403, 'nor decide')
  t.equal((await fetch(gw.httpUrl + '/api/v1/reviews')).status, 401)
  t.equal((await asBearer(gw, hrToken, 'GET', '/api/v1/reviews')).status, 200, 'an hr token may list')
  t.equal((await asSession(gw, admin, 'GET', '/api/v1/reviews')).status, 200, 'an admin may list')
  t.match(await (await asSession(gw, hr, 'POST', `/api/v1/punches/${p1}/review`, { decision: 'confirm', comment: 'x' }, false)).json(), { error: 'csrf' })

  // bad input
  for (const [path, body, field, rule] of [
    [`/api/v1/punches/${p1}/review`, { decision: 'maybe', comment: 'x' }, 'body.decision', 'enum'],
    [`/api/v1/punches/${p1}/review`, { decision: 'confirm' }, 'body.comment', 'required'],
    [`/api/v1/punches/${p1}/review`, { decision: 'confirm', comment: '' }, 'body.comment', 'minLength'],
    [`/api/v1/punches/${p1}/review`, { decision: 'confirm', comment: 'x'.repeat(501) }, 'body.comment', 'maxLength'],
    [`/api/v1/punches/${p1}/review`, { decision: 'confirm', comment: 'x', by: 'me' }, 'body.by', 'additionalProperties'],
    ['/api/v1/punches/x/review', { decision: 'confirm', comment: 'x' }, 'params.id', 'type']
  ] as const) {
    const r = await asSession(gw, hr, 'POST', path, body)
    t.equal(r.status, 400, `${field} ${rule}`)
    t.match(await r.json(), { error: 'bad_request', field, rule })
  }
  t.match(await (await asSession(gw, hr, 'GET', '/api/v1/reviews?status=closed')).json(), { field: 'querystring.status', rule: 'enum' })
  t.match(await (await asSession(gw, hr, 'GET', '/api/v1/reviews?limit=201')).json(), { field: 'querystring.limit', rule: 'maximum' })

  const plain = (await (await asSession(gw, hr, 'GET', '/api/v1/punches?limit=10')).json() as { punches: Array<{ id: number, seq: number }> }).punches.find(p => p.seq === 4)!
  t.match(await (await asSession(gw, hr, 'POST', `/api/v1/punches/${plain.id}/review`, { decision: 'confirm', comment: 'x' })).json(), { error: 'not_flagged' }, 'a punch without such flags: 404')
  t.match(await (await asSession(gw, hr, 'POST', '/api/v1/punches/99999/review', { decision: 'confirm', comment: 'x' })).json(), { error: 'not_found' })

  // decisions
  const confirmed = await asSession(gw, hr, 'POST', `/api/v1/punches/${p1}/review`, { decision: 'confirm', comment: 'the terminal was offline all morning' })
  t.equal(confirmed.status, 200)
  t.match(await confirmed.json(), { punch: { id: p1 }, status: 'confirmed', decidedBy: 'hana', comment: 'the terminal was offline all morning' })
  t.equal((await asBearer(gw, hrToken, 'POST', `/api/v1/punches/${p2}/review`, { decision: 'dispute', comment: 'not at work that day' })).status, 200, 'an hr token may decide')
  t.equal((await asSession(gw, admin, 'POST', `/api/v1/punches/${p3}/review`, { decision: 'confirm', comment: 'ok' })).status, 200, 'an admin may decide')
  t.match(await (await asSession(gw, hr, 'POST', `/api/v1/punches/${p1}/review`, { decision: 'dispute', comment: 'changed my mind' })).json(), { error: 'decided', message: /confirmed already/ }, 'a decision is final: 409')

  await sink.waitFor(() => reviewBatches(sink).flatMap(r => r.body!.reviews!).length === 3)
  const sent = reviewBatches(sink)
  for (const r of sent) {
    t.same(r.body!.punches, [], 'no punches beside the reviews')
    t.equal(r.headers['idempotency-key'], r.body!.batch, 'under its Idempotency-Key')
  }
  t.match(sent.flatMap(r => r.body!.reviews!), [
    { punch: 'T-1:9f2c41d0:1', decision: 'confirmed', by: 'hana', comment: 'the terminal was offline all morning', flags: ['late-sync'], at: String },
    { punch: 'T-1:9f2c41d0:2', decision: 'disputed', by: 'token:desk', comment: 'not at work that day' },
    { punch: 'T-1:9f2c41d0:3', decision: 'confirmed', by: 'ada' }
  ])
  for (const [id, n] of sink.received) t.equal(n, 1, `${id}: a punch never comes again for its review`)

  t.same((await (await asSession(gw, hr, 'GET', '/api/v1/reviews?status=disputed')).json() as Page).items.map(r => r.punch.id), [p2])
  const audit = await (await asSession(gw, hr, 'GET', '/api/v1/audit?limit=20')).json() as { entries: Array<{ actor: string, action: string, target: string, detail: string }> }
  t.match(audit.entries.filter(e => e.action.startsWith('review.')), [
    { actor: 'ada', action: 'review.confirm', target: `punch ${p3}`, detail: 'ok' },
    { actor: 'token:desk', action: 'review.dispute', target: `punch ${p2}` },
    { actor: 'hana', action: 'review.confirm', target: `punch ${p1}` }
  ])
})

t.test('a decision the upstream has not taken keeps its key through retries and a kill -9', async t => {
  const sink = new WebhookUpstream()
  await sink.start()
  t.teardown(() => sink.close())
  sink.respond(req => req.body?.reviews !== undefined ? { status: 503 } : { status: 200 })
  const dir = t.testdir()
  const config = writeGatewayConfig(dir, { rules: { lateSyncMs: 10_000 }, forward: { lingerMs: 10, backoffBaseMs: 50, backoffCapMs: 200 }, backup: { intervalHours: 0 } })
  const data = join(dir, 'data')
  const gw = await startGatewayProcess({ dataDir: data, upstream: sink.url, allowAnonymous: true, args: ['--config', config] })
  t.teardown(() => gw.stop())
  const hr = await login(gw, 'hana', await addOperator(data, 'hana', 'hr'))
  const dev = await connectDevice(gw.mqttUrl, 'T-2')
  await dev.publish(batch('b-1', [1]))
  await dev.ackFor('b-1')
  await dev.close()
  const [r] = (await (await asSession(gw, hr, 'GET', '/api/v1/reviews')).json() as Page).items
  t.equal((await asSession(gw, hr, 'POST', `/api/v1/punches/${r.punch.id}/review`, { decision: 'dispute', comment: 'wrong person' })).status, 200)
  await until(() => reviewBatches(sink).length >= 2, 'two refused attempts')
  const keys = new Set(reviewBatches(sink).map(q => q.headers['idempotency-key']))
  t.equal(keys.size, 1, 'a retry keeps the key')
  gw.kill('SIGKILL')
  await gw.exited

  sink.respond(() => ({ status: 200 }))
  const before = sink.requests.length
  const again = await startGatewayProcess({ dataDir: data, upstream: sink.url, allowAnonymous: true, args: ['--config', config] })
  t.teardown(() => again.stop())
  await sink.waitFor(() => sink.acceptedKeys.has([...keys][0] as string))
  const taken = reviewBatches(sink).filter(q => sink.acceptedKeys.has(q.headers['idempotency-key'] as string))
  t.match(taken[0].body!.reviews, [{ punch: 'T-2:9f2c41d0:1', decision: 'disputed', by: 'hana', comment: 'wrong person' }], 'after the restart, under the same key')
  await new Promise(resolve => setTimeout(resolve, 500))
  t.equal(sink.requests.slice(before).filter(q => q.body?.reviews !== undefined).length, 1, 'taken once, not sent again')
})

t.test('the upstream MQTT broker gets decisions on {topic}/reviews; {topic}/punches sees nothing new', async t => {
  const dir = t.testdir()
  const up = await new UpstreamBroker({ topic: 'site7/punchline', username: 'gw', password: 'pw' }).start()
  const config = writeGatewayConfig(dir, {
    gatewayId: 'gw-7',
    rules: { lateSyncMs: 10_000 },
    upstream: { url: up.url, username: 'gw', password: 'pw', topic: 'site7/punchline', timeoutMs: 2000 },
    forward: { lingerMs: 20 },
    backup: { intervalHours: 0 }
  })
  const data = join(dir, 'data')
  const gw = await startGatewayProcess({ dataDir: data, allowAnonymous: true, args: ['--config', config] })
  t.teardown(async () => { await gw.stop(); await up.close() })
  const hr = await login(gw, 'hana', await addOperator(data, 'hana', 'hr'))
  const dev = await connectDevice(gw.mqttUrl, 'M-1')
  await dev.publish(batch('b-1', [1]))
  await dev.ackFor('b-1')
  await dev.close()
  await until(() => up.counts.size === 1, 'the punch upstream')
  const [r] = (await (await asSession(gw, hr, 'GET', '/api/v1/reviews')).json() as Page).items
  await asSession(gw, hr, 'POST', `/api/v1/punches/${r.punch.id}/review`, { decision: 'confirm', comment: 'fine' })
  await until(() => up.reviews.length === 1, 'the decision upstream')
  t.match(up.reviews[0], { gateway: 'gw-7', punches: [], reviews: [{ punch: 'M-1:9f2c41d0:1', decision: 'confirmed', by: 'hana', comment: 'fine' }] })
  t.equal(up.batches.length, 1, 'nothing new on {topic}/punches')
  t.same(up.published.filter(p => p.topic === 'site7/punchline/reviews').map(p => [p.qos, p.retain]), [[1, false]])
})
