/**
 * The HTTP API in a real gateway process: it listens on loopback unless told otherwise, every /api route
 * asks for the bearer token (generated into the data dir at first start, or given in the environment),
 * /healthz never does, and /metrics does only when http.metricsPublic is false.
 */
import t from 'tap'
import { connect } from 'node:net'
import { networkInterfaces } from 'node:os'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { startGatewayProcess, writeGatewayConfig, type GatewayProcess } from './helpers/gateway-process.js'

/** every JSON view the gateway serves (gateway.ts) */
const API_ROUTES = ['/api/devices', '/api/backlog', '/api/dead-letters', '/api/watermarks', '/api/health', '/api/alarms']

/** A non-loopback address of this machine, to show the API is not reachable there. */
function outsideAddress (): string | undefined {
  return Object.values(networkInterfaces()).flat().find(a => a !== undefined && !a.internal && a.family === 'IPv4')?.address
}

async function connects (host: string, port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const socket = connect({ host, port })
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

async function get (gw: GatewayProcess, path: string, authorization?: string): Promise<Response> {
  return await fetch(gw.httpUrl + path, authorization === undefined ? {} : { headers: { Authorization: authorization } })
}

t.test('default settings: loopback only, a generated token guards every /api route', async t => {
  const data = t.testdir()
  const gw = await startGatewayProcess({ dataDir: data })
  t.teardown(async () => await gw.stop())

  const ready = gw.logs.find(l => l.msg === 'gateway ready')!
  t.equal(ready.httpHost, '127.0.0.1', 'the ready line names the loopback address')
  t.ok(await connects('127.0.0.1', gw.httpPort), 'reachable on loopback')
  const outside = outsideAddress()
  if (outside === undefined) t.comment('this machine has no non-loopback IPv4 address: not checked from outside')
  else t.notOk(await connects(outside, gw.httpPort), `not reachable on ${outside}`)

  for (const route of API_ROUTES) t.equal((await get(gw, route)).status, 401, `${route} without a token: 401`)

  const tokenFile = join(data, 'api-token')
  const token = readFileSync(tokenFile, 'utf8').trim()
  t.match(token, /^[A-Za-z0-9_-]{40,}$/, 'a long random token')
  t.equal(statSync(tokenFile).mode & 0o777, 0o600, 'readable by the gateway user only')
  const told = gw.logs.find(l => l.msg === 'HTTP API token generated')
  t.equal(told?.file, tokenFile, 'the log says where the token is')
  t.notOk(gw.logs.some(l => JSON.stringify(l).includes(token)), 'and never the token itself')

  for (const route of API_ROUTES) {
    for (const [what, header] of [['no token', undefined], ['a wrong token', `Bearer ${token.slice(0, -1)}x`],
      ['another scheme', `Basic ${token}`], ['a longer token', `Bearer ${token}x`]] as const) {
      const res = await get(gw, route, header)
      t.equal(res.status, 401, `${route} with ${what}: 401`)
      t.equal(res.headers.get('www-authenticate'), 'Bearer realm="punchline"')
      t.match(await res.json(), { error: 'unauthorized', message: /Authorization: Bearer/ })
    }
    const ok = await get(gw, route, `Bearer ${token}`)
    t.equal(ok.status, 200, `${route} with the token: 200`)
    t.equal(ok.headers.get('content-type'), 'application/json')
  }
  t.equal((await get(gw, '/api/nothing-here')).status, 401, 'an unknown path says nothing without the token')
  t.equal((await get(gw, '/api/nothing-here', `Bearer ${token}`)).status, 404)
  t.equal((await get(gw, '/healthz')).status, 200, '/healthz is open')
  t.equal((await get(gw, '/metrics')).status, 200, '/metrics is open by default (http.metricsPublic)')
  const refused = await (await get(gw, '/metrics')).text()
  t.match(refused, /punchline_http_requests_refused_total\{reason="no_token"\} [1-9]/)
  t.match(refused, /punchline_http_requests_refused_total\{reason="bad_token"\} [1-9]/)
})

t.test('the generated token survives a restart', async t => {
  const data = t.testdir()
  const first = await startGatewayProcess({ dataDir: data })
  const token = first.apiToken
  await first.stop()
  const again = await startGatewayProcess({ dataDir: data })
  t.teardown(async () => await again.stop())
  t.equal(again.apiToken, token)
  t.equal((await get(again, '/api/devices', `Bearer ${token}`)).status, 200)
  t.notOk(again.logs.some(l => l.msg === 'HTTP API token generated'), 'nothing new generated')
})

t.test('a token from the environment, and /metrics behind it with http.metricsPublic false', async t => {
  const data = t.testdir()
  const token = 'site-api-token-0123456789abcdef'
  const config = writeGatewayConfig(data, { http: { metricsPublic: false } })
  const gw = await startGatewayProcess({ dataDir: data, args: ['--config', config], env: { PUNCHLINE_API_TOKEN: token } })
  t.teardown(async () => await gw.stop())
  t.equal((await get(gw, '/api/devices', `Bearer ${token}`)).status, 200)
  t.equal((await get(gw, '/api/devices', 'Bearer site-api-token-0123456789abcdeX')).status, 401)
  t.equal((await get(gw, '/metrics')).status, 401, '/metrics asks for the token')
  t.equal((await get(gw, '/metrics', `Bearer ${token}`)).status, 200)
  t.equal((await get(gw, '/healthz')).status, 200, '/healthz stays open')
  t.throws(() => statSync(join(data, 'api-token')), 'no token file written when one is given')
})

t.test('a token that is too short is refused at start, naming the setting', async t => {
  const data = t.testdir()
  await t.rejects(startGatewayProcess({ dataDir: data, env: { PUNCHLINE_API_TOKEN: 'short' } }), /PUNCHLINE_API_TOKEN: must be at least 16/)
})
