/**
 * http.trustProxy on real gateway processes, both ways: behind a TLS reverse proxy (X-Forwarded-Proto:
 * https, X-Forwarded-For: the client) a trusting gateway marks the session cookie Secure, audits the
 * client's address and backs off per client; the default gateway ignores the headers (any client could
 * send them): no Secure, the peer's address, and one backoff for everyone behind the proxy. Bad entries
 * are refused at start, named.
 */
import t, { type Test } from 'tap'
import { startGatewayProcess, writeGatewayConfig, type GatewayProcess } from './helpers/gateway-process.js'
import { addOperator, asSession, login, postJson } from './helpers/api-v1.js'
import { loadConfig } from '../gateway/config.js'
import { LOGIN_BACKOFF } from '../gateway/http/v1/session-routes.js'

const PROXIED = { 'X-Forwarded-Proto': 'https' }
const from = (address: string): Record<string, string> => ({ ...PROXIED, 'X-Forwarded-For': address })

async function gateway (t: Test, http: Record<string, unknown>): Promise<{ gw: GatewayProcess, data: string, password: string }> {
  const data = t.testdir()
  const config = writeGatewayConfig(data, { http })
  const gw = await startGatewayProcess({ dataDir: data, args: ['--config', config] })
  t.teardown(async () => await gw.stop())
  return { gw, data, password: await addOperator(data, 'ada', 'admin') }
}

/** Fails LOGIN_BACKOFF.freeFailures logins from `address` (a new name each, so only the address adds up). */
async function failFrom (gw: GatewayProcess, address: string): Promise<void> {
  for (let i = 0; i < LOGIN_BACKOFF.freeFailures; i++) {
    const res = await postJson(gw, '/api/v1/session', { name: `guess-${i}`, password: 'wrong' }, from(address))
    if (res.status !== 401) throw new Error(`failed login ${i}: ${res.status}`)
  }
}

async function auditedFrom (gw: GatewayProcess, admin: Awaited<ReturnType<typeof login>>): Promise<string[]> {
  const entries = (await (await asSession(gw, admin, 'GET', '/api/v1/audit')).json() as { entries: Array<{ action: string, detail: string }> }).entries
  return entries.filter(e => e.action === 'session.login').map(e => e.detail)
}

t.test('trusted proxy: Secure cookie, the client address in the audit log and in the backoff', async t => {
  const { gw, password } = await gateway(t, { trustProxy: ['127.0.0.1'] })
  const res = await postJson(gw, '/api/v1/session', { name: 'ada', password }, from('203.0.113.7'))
  t.equal(res.status, 200)
  t.match(res.headers.get('set-cookie'), /; Secure/, 'the session cookie is Secure behind TLS')
  const admin = await login(gw, 'ada', password)
  t.same(await auditedFrom(gw, admin), ['from 127.0.0.1', 'from 203.0.113.7'], "the client's address, not the proxy's")
  await failFrom(gw, '203.0.113.66')
  t.equal((await postJson(gw, '/api/v1/session', { name: 'ada', password }, from('203.0.113.66'))).status, 429, 'the guessing client waits')
  t.equal((await postJson(gw, '/api/v1/session', { name: 'ada', password }, from('203.0.113.8'))).status, 200, 'another client behind the same proxy does not')
})

t.test('default (no trusted proxy): the headers change nothing', async t => {
  const { gw, password } = await gateway(t, {})
  const res = await postJson(gw, '/api/v1/session', { name: 'ada', password }, from('203.0.113.7'))
  t.equal(res.status, 200)
  t.notMatch(res.headers.get('set-cookie'), /Secure/, 'no Secure: the gateway itself spoke plain HTTP')
  const admin = await login(gw, 'ada', password)
  t.same(await auditedFrom(gw, admin), ['from 127.0.0.1', 'from 127.0.0.1'], "the peer's address, whatever X-Forwarded-For says")
  await failFrom(gw, '203.0.113.66')
  t.equal((await postJson(gw, '/api/v1/session', { name: 'ada', password }, from('203.0.113.8'))).status, 429, 'one address for all: a claimed address does not escape the backoff')
})

t.test('http.trustProxy is validated: false, true or addresses and ranges', async t => {
  const dir = t.testdir()
  const read = (trustProxy: unknown): unknown => loadConfig({ file: writeGatewayConfig(dir, { http: { trustProxy } }) }).http.trustProxy
  t.equal(loadConfig({}).http.trustProxy, false, 'off by default')
  t.equal(read(true), true)
  t.same(read(['10.0.0.5', '10.0.0.0/24', 'fd00::/8']), ['10.0.0.5', '10.0.0.0/24', 'fd00::/8'])
  t.throws(() => read(['10.0.0.0/33']), /http\.trustProxy\[0\]: must be an IP address or a CIDR range/)
  t.throws(() => read(['127.0.0.1', 'proxy.lan']), /http\.trustProxy\[1\]: must be an IP address or a CIDR range/)
  t.throws(() => read('yes'), /http\.trustProxy: must be false, true, or a list/)
})
