/**
 * Failed logins (gateway/broker/auth.ts, login-backoff.ts): a flood of wrong secrets from one address is
 * refused without a secret check once past a few, while a device from another address still connects;
 * an unknown id costs a secret check like a known one with a wrong secret; a remembered credential stops
 * working once its secret is rotated with `punchline devices add ID --secret`; guesses spread over many
 * addresses never have more than MAX_CHECKS_IN_FLIGHT checks running at once.
 */
import t from 'tap'
import { pino } from 'pino'
import { defaultConfig } from '../gateway/config.js'
import { Gateway } from '../gateway/gateway.js'
import { cli } from './helpers/gateway-process.js'
import { login } from './helpers/mqtt-login.js'
import { ADDRESS_BACKOFF, MAX_CHECKS_IN_FLIGHT } from '../gateway/broker/auth.js'

const FLOOD = 150

async function metric (gw: Gateway, name: string, label = ''): Promise<number> {
  const text = await gw.metrics.registry.metrics()
  const line = text.split('\n').find(l => l.startsWith(name + (label === '' ? ' ' : `{${label}}`)))
  return line === undefined ? 0 : Number(line.split(' ').pop())
}
const secretChecks = async (gw: Gateway): Promise<number> => await metric(gw, 'punchline_auth_secret_checks_total')
const refused = async (gw: Gateway, reason: string): Promise<number> => await metric(gw, 'punchline_connections_refused_total', `reason="${reason}"`)

function register (dir: string, id: string, secret: string): void {
  const r = cli(['devices', 'add', id, '--secret', secret, '--data', dir])
  if (r.status !== 0) throw new Error(r.stderr)
}

const dir = t.testdir()
register(dir, 'T-GOOD', 'good-secret-1')
register(dir, 'T-VICTIM', 'victim-secret-1')
register(dir, 'T-KNOWN', 'known-secret-1')
register(dir, 'T-ROT', 'rotating-secret-1')
const cfg = defaultConfig()
cfg.dataDir = dir
cfg.mqtt = { ...cfg.mqtt, host: '127.0.0.1', port: 0 }
cfg.http = { ...cfg.http, host: '127.0.0.1', port: 0 }
const gw = new Gateway(cfg, { log: pino({ level: 'silent' }) })
const { mqttPort } = await gw.start()
t.teardown(async () => await gw.stop())

t.test('a flood of wrong secrets from one address is refused without checks past the first few; a device elsewhere connects meanwhile', async t => {
  const checksBefore = await secretChecks(gw)
  const flood = Array.from({ length: FLOOD }, async (_, i) => await login(mqttPort, '127.0.0.11', {
    clientId: i % 2 === 0 ? 'T-VICTIM' : `X-${i}`, username: i % 2 === 0 ? 'T-VICTIM' : `X-${i}`, password: 'guess-' + String(i)
  }))
  const good = await login(mqttPort, '127.0.0.12', { clientId: 'T-GOOD', username: 'T-GOOD', password: 'good-secret-1' })
  t.ok(good.ok, `the device from another address connected during the flood${good.ok ? '' : ': ' + good.message}`)
  if (good.ok) good.client.end(true)
  const results = await Promise.all(flood)
  t.ok(results.every(r => !r.ok), 'every guess refused')
  const backedOff = await refused(gw, 'login_backoff')
  // At most the address's free failures plus the checks it may have running at once.
  const mostChecked = ADDRESS_BACKOFF.freeFailures + ADDRESS_BACKOFF.maxPending
  t.ok(backedOff >= FLOOD - mostChecked, `${backedOff} of ${FLOOD} refused while backed off, without a check`)
  const checks = await secretChecks(gw) - checksBefore
  t.ok(checks <= mostChecked + 1, `${checks} secret checks for ${FLOOD} guesses and one good login`)

  // The victim's id is backed off for every address, but a device whose credential is remembered is not.
  const again = await login(mqttPort, '127.0.0.12', { clientId: 'T-GOOD', username: 'T-GOOD', password: 'good-secret-1' })
  t.ok(again.ok, 'the good device reconnects')
  if (again.ok) again.client.end(true)
  const checksBeforeBurst = await secretChecks(gw)
  const burst = await Promise.all(Array.from({ length: 5 }, async () =>
    await login(mqttPort, '127.0.0.13', { clientId: 'T-VICTIM', username: 'T-VICTIM', password: 'guess-x' })))
  t.ok(burst.every(r => !r.ok), 'the attacked id is refused from another address too')
  t.ok(await secretChecks(gw) - checksBeforeBurst <= 1, 'with at most one check (once its wait is over)')
})

t.test('an unknown id and a known id with a wrong secret both cost one secret check', async t => {
  const before = await secretChecks(gw)
  const unknown = await login(mqttPort, '127.0.0.21', { clientId: 'T-NOBODY', username: 'T-NOBODY', password: 'whatever' })
  t.equal(await secretChecks(gw) - before, 1, 'unknown id: one check')
  const known = await login(mqttPort, '127.0.0.21', { clientId: 'T-KNOWN', username: 'T-KNOWN', password: 'whatever' })
  t.equal(await secretChecks(gw) - before, 2, 'known id, wrong secret: one check')
  t.equal(unknown.ok ? undefined : unknown.code, 4, 'unknown id: bad username or password')
  t.equal(known.ok ? undefined : known.code, 4, 'known id: the same answer')
})

t.test('a remembered credential needs no check, and stops working once the secret is rotated', async t => {
  const first = await login(mqttPort, '127.0.0.31', { clientId: 'T-ROT', username: 'T-ROT', password: 'rotating-secret-1' })
  t.ok(first.ok, 'connects')
  if (first.ok) await first.client.endAsync()
  const before = await secretChecks(gw)
  const second = await login(mqttPort, '127.0.0.31', { clientId: 'T-ROT', username: 'T-ROT', password: 'rotating-secret-1' })
  t.ok(second.ok, 'connects again')
  if (second.ok) await second.client.endAsync()
  t.equal(await secretChecks(gw) - before, 0, 'from the remembered credential')

  register(dir, 'T-ROT', 'rotating-secret-2')
  const old = await login(mqttPort, '127.0.0.31', { clientId: 'T-ROT', username: 'T-ROT', password: 'rotating-secret-1' })
  t.equal(old.ok ? undefined : old.code, 4, 'the old secret is refused once rotated')
  const fresh = await login(mqttPort, '127.0.0.31', { clientId: 'T-ROT', username: 'T-ROT', password: 'rotating-secret-2' })
  t.ok(fresh.ok, 'the new secret connects')
  if (fresh.ok) await fresh.client.endAsync()
})

t.test('guesses from many addresses at once: past the global bound they are refused as server unavailable, unchecked; a remembered device connects', async t => {
  const first = await login(mqttPort, '127.0.0.31', { clientId: 'T-GOOD', username: 'T-GOOD', password: 'good-secret-1' })
  t.ok(first.ok, 'the good device is remembered from its login')
  if (first.ok) first.client.end(true)
  const before = await secretChecks(gw)
  // One guess per address, so no address and no id is backed off: only the global bound can hold them.
  const spread = 200
  const guesses = Array.from({ length: spread }, async (_, i) => await login(mqttPort, `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`, {
    clientId: `S-${i}`, username: `S-${i}`, password: 'guess'
  }))
  const good = await login(mqttPort, '127.0.0.32', { clientId: 'T-GOOD', username: 'T-GOOD', password: 'good-secret-1' })
  t.ok(good.ok, `the remembered device connected during the spread flood${good.ok ? '' : ': ' + good.message}`)
  if (good.ok) good.client.end(true)
  const results = await Promise.all(guesses)
  t.ok(results.every(r => !r.ok), 'every guess refused')
  const busy = results.filter(r => !r.ok && r.code === 3).length
  t.ok(busy > 0, `${busy} of ${spread} refused as server unavailable (code 3) without a check`)
  t.equal(await refused(gw, 'checks_busy'), busy, 'each counted as checks_busy')
  const checks = await secretChecks(gw) - before
  t.equal(checks + busy, spread, `${checks} checked, the rest refused at once`)
  t.equal(await metric(gw, 'punchline_auth_secret_checks_in_flight'), 0, 'no check left running')
  t.ok(MAX_CHECKS_IN_FLIGHT < spread)
})
