/**
 * The webhook sink: the sink contract against fakes/upstream/webhook-upstream.ts playing an upstream that dedupes by
 * punch id (PROTOCOL.md: the id is the key an upstream dedupes on), then its watermark POST.
 */
import t from 'tap'
import { createServer } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { WebhookSink } from '../gateway/forward/webhook-sink.js'
import { createSink } from '../gateway/forward/create-sink.js'
import { upstreamFor } from '../gateway/config.js'
import { silentLogger } from '../shared/log.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { contractBatch, contractWatermarks, CONTRACT_T0, sinkContract } from './fixtures/sink-contract.js'

// Generous: the first fetch of a process also loads Node's HTTP client.
const TIMEOUT_MS = 1000

sinkContract(t, 'webhook', { refusesRecords: true, knowsPersons: false, takesWatermarks: true }, async t => {
  const up = new WebhookUpstream()
  await up.start()
  const port = Number(new URL(up.url).port)
  const base = `http://127.0.0.1:${port}`
  const state = { token: 'tok', stallMs: 0, stallUntil: 0, poison: new Set<string>(), stored: new Set<string>(), watermark: undefined as unknown }
  up.respond(req => {
    const delayMs = state.stallMs
    if (delayMs > 0) state.stallUntil = Math.max(state.stallUntil, Date.now() + delayMs)
    if (req.headers.authorization !== `Bearer ${state.token}`) return { status: 401, body: '{"error":"unknown token"}', delayMs }
    if (req.url === '/watermark') {
      state.watermark = JSON.parse(req.raw)
      return { status: 204, delayMs }
    }
    const ids = Array.isArray(req.body?.punches) ? req.body.punches.map(p => String(p?.id)) : []
    if (ids.some(id => state.poison.has(id))) return { status: 422, body: JSON.stringify({ error: 'emp: unknown employee' }), delayMs }
    if (ids.length > 0 && ids.every(id => state.stored.has(id))) return { status: 409, delayMs }
    for (const id of ids) state.stored.add(id)
    return { status: 200, delayMs }
  })
  t.teardown(async () => await up.close())
  return {
    sink: new WebhookSink({ url: up.url, token: 'tok', timeoutMs: TIMEOUT_MS, watermarkUrl: `${base}/watermark` }),
    timeoutMs: TIMEOUT_MS,
    count: p => (state.stored.has(p.id) ? 1 : 0),
    dedupes: true,
    settle: async () => { while (Date.now() < state.stallUntil + 50) await sleep(20) },
    outage: async () => await up.close(),
    restore: async () => { await up.start(port) },
    stall: ms => { state.stallMs = ms },
    revokeCredentials: () => { state.token = 'rotated' },
    poison: p => { state.poison.add(p.id) },
    watermarkSeen: () => state.watermark
  }
})

t.test('watermarks are POSTed as JSON to watermarkUrl, with the token, and classified like batches', async t => {
  const up = new WebhookUpstream()
  await up.start()
  t.teardown(async () => await up.close())
  const watermarkUrl = up.url.replace('/punches', '/watermark')
  const sink = new WebhookSink({ url: up.url, token: 'tok', timeoutMs: 2000, watermarkUrl })
  const marks = contractWatermarks(CONTRACT_T0)
  t.same(await sink.watermark?.(marks, new AbortController().signal), { outcome: 'delivered' })
  const req = up.requests[0]
  t.equal(req.method, 'POST')
  t.equal(req.url, '/watermark')
  t.equal(req.headers.authorization, 'Bearer tok')
  t.equal(req.headers['content-type'], 'application/json')
  t.same(JSON.parse(req.raw), marks)
  t.equal(req.headers['idempotency-key'], undefined, 'a watermark is not a batch')

  up.respond(() => ({ status: 503, headers: { 'Retry-After': '7' } }))
  const r = await sink.watermark?.(marks, new AbortController().signal)
  t.match(r, { outcome: 'retry', status: 503, retryAfterMs: 7000 })
})

t.test('without watermarkUrl the sink has no watermark(), so the gateway need not compute any', async t => {
  t.equal(new WebhookSink({ url: 'http://127.0.0.1:9/x', timeoutMs: 100 }).watermark, undefined)
  t.equal(new WebhookSink({ url: 'http://127.0.0.1:9/x', timeoutMs: 100, watermarkUrl: '' }).watermark, undefined)
  const made = createSink({ ...upstreamFor('http://127.0.0.1:9/x'), watermarkUrl: 'http://127.0.0.1:9/w' }, { gatewayId: 'gw', log: silentLogger() })
  t.equal(made.name, 'webhook')
  t.type(made.watermark, 'function', 'createSink passes watermarkUrl on')
})

t.test('a redirect is a configuration fault, never a delivery (a 302 would turn the POST into a GET)', async t => {
  const up = new WebhookUpstream()
  await up.start()
  t.teardown(async () => await up.close())
  up.respond(req => (req.url === '/punches' ? { status: 302, headers: { Location: '/login' } } : { status: 200 }))
  const sink = new WebhookSink({ url: up.url, timeoutMs: 2000 })
  const r = await sink.deliver(contractBatch([1]), new AbortController().signal)
  t.match(r, { outcome: 'config', status: 302 })
  t.match((r as { error: string }).error, '/login')
  t.equal(up.requests.length, 1, 'the redirect was not followed')
})

t.test('batches reuse one kept-alive connection, and a huge error page is cut without hanging the next request', async t => {
  let connections = 0
  let hugeOnce = true
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      if (hugeOnce && req.headers['idempotency-key'] === 'k-huge') {
        hugeOnce = false
        res.writeHead(503, { 'retry-after': '7' })
        res.end('x'.repeat(1_000_000))
        return
      }
      res.end('{}')
    })
  })
  server.on('connection', () => { connections++ })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const { port } = server.address() as { port: number }
  const sink = new WebhookSink({ url: `http://127.0.0.1:${port}/punches`, timeoutMs: 5000 })
  const signal = new AbortController().signal
  for (let i = 0; i < 5; i++) t.same(await sink.deliver(contractBatch([i + 1], `k-${i}`), signal), { outcome: 'delivered' })
  t.equal(connections, 1, 'five batches, one connection')
  const huge = await sink.deliver(contractBatch([10], 'k-huge'), signal)
  t.match(huge, { outcome: 'retry', status: 503, retryAfterMs: 7000 })
  t.ok(huge.outcome === 'retry' && huge.error.length < 600, 'the error body is cut to the bound')
  t.same(await sink.deliver(contractBatch([11], 'k-after'), signal), { outcome: 'delivered' }, 'the next batch goes on another connection')
})
