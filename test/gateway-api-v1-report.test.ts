/**
 * The health report from a running gateway (a real process, a real upstream that fails with a hostile
 * body): GET /api/v1/report is `punchline report --json` with the live alarms; GET /api/v1/report.html is
 * the same report as a printable page with every text escaped, print CSS, no script and no external asset;
 * every role may read both, nobody without credentials.
 */
import t from 'tap'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { startGatewayProcess, cli } from './helpers/gateway-process.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { addOperator, asSession, login } from './helpers/api-v1.js'
import { until } from './helpers/wait.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'

const HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'

t.test('the report as JSON and as a printable page, escaped; every role', async t => {
  const dir = t.testdir()
  const sink = new WebhookUpstream()
  await sink.start()
  t.teardown(() => sink.close())
  sink.respond(() => ({ status: 500, body: HOSTILE }))
  const config = join(dir, 'gateway.json')
  writeFileSync(config, JSON.stringify({ alarms: { intervalSeconds: 0.2 }, storage: { minFreeBytes: 0 }, forward: { lingerMs: 10, backoffBaseMs: 50, backoffCapMs: 200 }, backup: { intervalHours: 0 } }))
  const data = join(dir, 'data')
  t.equal(cli(['devices', 'add', 'K-1', '--data', data]).status, 0)
  const gw = await startGatewayProcess({ dataDir: data, upstream: sink.url, allowAnonymous: true, args: ['--config', config] })
  t.teardown(() => gw.stop())
  const viewer = await login(gw, 'vic', await addOperator(data, 'vic', 'viewer'))
  const dev = await connectDevice(gw.mqttUrl, 'T-7')
  t.teardown(() => dev.close())
  await dev.publish(batch('b-1', [1, 2]))
  await dev.ackFor('b-1')

  interface Report { gatewayId: string, devices: Array<{ id: string }>, outbox: { lastError: string | null }, alarms: Array<{ name: string, level: string }>, security: { http: string } }
  const json = async (): Promise<Report> => await (await asSession(gw, viewer, 'GET', '/api/v1/report')).json() as Report
  await until(async () => (await json()).outbox.lastError?.includes('<script>') === true, 'the hostile upstream error in the outbox')
  await until(async () => (await json()).devices.length === 2, 'T-7 in the devices (its last-seen time is written in batches)')
  const report = await json()
  const offline = JSON.parse(cli(['report', '--json', '--data', data, '--config', config]).stdout) as Record<string, unknown> & Report
  t.same(Object.keys(report).sort(), Object.keys(offline).sort(), 'the fields of punchline report --json')
  t.equal(report.gatewayId, offline.gatewayId)
  t.same(report.devices.map(d => d.id).sort(), ['K-1', 'T-7'])
  t.match(report.security, { allowAnonymous: true, secretsInClearText: false }, "the running gateway's own settings (its command-line flags too)")
  t.ok(report.alarms.every(a => ['critical', 'major', 'minor'].includes(a.level)), 'live alarms, with their level')

  const page = await asSession(gw, viewer, 'GET', '/api/v1/report.html')
  t.equal(page.status, 200)
  t.equal(page.headers.get('content-type'), 'text/html; charset=utf-8')
  t.match(page.headers.get('content-security-policy'), /default-src 'none'/, 'a CSP that allows nothing to be fetched or run')
  const html = await page.text()
  t.match(html, /^<!doctype html>/)
  t.match(html, /@media print/, 'print CSS')
  t.match(html, /<h2>DEVICES \(2: /)
  t.match(html, /<td>T-7<\/td>/)
  t.match(html, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; &lt;img src=x onerror=alert\(1\)&gt;/, "the upstream's body as text")
  t.notMatch(html, /<script|<img|<link|src=["']|url\(/i, 'no script, no image, no stylesheet or asset fetched')

  for (const role of ['hr', 'admin'] as const) {
    const s = await login(gw, `op-${role}`, await addOperator(data, `op-${role}`, role))
    t.equal((await asSession(gw, s, 'GET', '/api/v1/report')).status, 200, `${role} may read the report`)
    t.equal((await asSession(gw, s, 'GET', '/api/v1/report.html')).status, 200, `${role} may read the page`)
  }
  t.equal((await fetch(gw.httpUrl + '/api/v1/report')).status, 401, 'no credentials: 401')
  t.equal((await fetch(gw.httpUrl + '/api/v1/report.html')).status, 401)
  const extra = await asSession(gw, viewer, 'GET', '/api/v1/report.html?x=1')
  t.equal(extra.status, 200, 'a query string is ignored (the report takes none)')
})
