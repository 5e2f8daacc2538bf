/**
 * The settings readers report every problem of a file at once, each at its path, with "did you mean" for
 * a misspelt key; the published schemas in docs/ are the ones the code checks with.
 */
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../gateway/config.js'
import { parseDeviceConfig } from '../device/config.js'
import { SettingsError } from '../shared/settings-check.js'
import { CONFIG_SCHEMA_FILES, schemaText } from '../scripts/config-schemas.js'

function problemsOf (fn: () => unknown): string[] {
  try {
    fn()
  } catch (err) {
    if (err instanceof SettingsError) return err.problems.map(p => `${p.path}: ${p.message}`)
    throw err
  }
  throw new Error('expected a SettingsError')
}

t.test('gateway: every problem of the file, each at its path, misspellings named', async t => {
  const file = join(t.testdir(), 'gateway.json')
  writeFileSync(file, JSON.stringify({
    mqtt: { prot: 1883, maxConnectBytes: 100 },
    http: { maxConections: 5, headersTimeoutMs: 'soon' },
    forward: { batchSize: 9000 },
    rules: { lateSyncMs: 10, expiredMs: 5 },
    sites: { hq: { devices: ['T 1'], geofences: [{ lat: 91, lon: 0, radiusM: 5 }] } },
    retension: {}
  }))
  const problems = problemsOf(() => loadConfig({ file }))
  const expected = [
    /^http\.headersTimeoutMs: must be a number/,
    /^http\.maxConections: unknown setting \(did you mean 'maxConnections'\?\)/,
    /^forward\.batchSize: must be between 1 and 5000/,
    /^mqtt\.maxConnectBytes: must be a whole number between 512/,
    /^mqtt\.prot: unknown setting \(did you mean 'port'\?\)/,
    /^retension: unknown setting \(did you mean 'retention'\?\)/,
    /^rules\.lateSyncMs: must not exceed rules\.expiredMs/,
    /^sites\.hq\.devices\[0\]: must be a device id/,
    /^sites\.hq\.geofences\[0\]\.lat: must be between -90 and 90/
  ]
  for (const re of expected) t.ok(problems.some(p => re.test(p)), String(re))
  t.equal(problems.length, 9, problems.join('\n'))
  t.throws(() => loadConfig({ file }), { message: new RegExp(`^${file}: 9 problems:\\n  - `) }, 'the message names the file, one problem a line')
})

t.test('gateway: the environment and flags lay over the file and are checked by the same rules', async t => {
  const file = join(t.testdir(), 'gateway.json')
  writeFileSync(file, JSON.stringify({ http: { host: '0.0.0.0', port: 9000 }, mqtt: { port: 1999 } }))
  const c = loadConfig({ file, env: { PUNCHLINE_HTTP_PORT: '9001' }, flags: { mqttPort: 2000 } })
  t.match(c, { http: { host: '0.0.0.0', port: 9001 }, mqtt: { port: 2000 } })
  t.same(problemsOf(() => loadConfig({ file, env: { PUNCHLINE_HTTP_HOST: '' } })), ["http.host: must be an address to listen on ('127.0.0.1', '0.0.0.0', '::')"])
})

t.test('device: every problem at once', async t => {
  const problems = problemsOf(() => parseDeviceConfig({
    id: 'T 1',
    broker: { url: 'http://gw' },
    ring: { capacity: 1, colour: 'red' },
    uplink: { batchSiz: 10 },
    inputs: [{ kind: 'keypad' }, { kind: 'laser' }, { kind: 'keypad' }]
  }))
  t.same(problems.map(p => p.split(':')[0]).sort(), [
    'broker.url', 'id', 'inputs[1].kind', 'inputs[2].name', 'ring.capacity', 'ring.colour', 'uplink.batchSiz'
  ], problems.join('\n'))
  t.ok(problems.includes("uplink.batchSiz: unknown setting (did you mean 'batchSize'?); settings here: order, batchSize, window, backoffCapMs, ackTimeoutMs, connectTimeoutMs, statusIntervalMs"))
})

t.test('a misspelt choice names the nearest one; a missing key is required', async t => {
  t.same(problemsOf(() => parseDeviceConfig({ id: 'T1', broker: { url: 'mqtt://gw' }, profile: 'wach', inputs: [{ name: 'k' }] })), [
    "profile: must be 'watch' or 'terminal' (did you mean 'watch'?)",
    'inputs[0].kind: is required'
  ])
})

t.test('a fraction where a whole number goes is named as such, not as "not a number"', async t => {
  t.same(problemsOf(() => parseDeviceConfig({ id: 'T1', broker: { url: 'mqtt://gw' }, ring: { capacity: 2.5 }, uplink: { window: 'two' } })), [
    'ring.capacity: must be a whole number between 2 and 10000000',
    'uplink.window: must be a number'
  ])
})

t.test('the published schemas are the ones the code checks with', async t => {
  for (const [file, schema] of Object.entries(CONFIG_SCHEMA_FILES)) {
    t.equal(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'), schemaText(schema), `${file} is current (npm run docs:schemas)`)
  }
})

t.test('a "__proto__" key in a settings file is an unknown setting, and reaches no prototype', async t => {
  const file = join(t.testdir(), 'gateway.json')
  writeFileSync(file, '{"__proto__": {"polluted": 1}, "mqtt": {"__proto__": {"polluted": 2}}}')
  const problems = problemsOf(() => loadConfig({ file }))
  t.ok(problems.some(p => p.startsWith('__proto__: unknown setting')), problems.join('\n'))
  t.ok(problems.some(p => p.startsWith('mqtt.__proto__: unknown setting')), problems.join('\n'))
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched')
  t.same(problemsOf(() => parseDeviceConfig(JSON.parse('{"id": "T", "broker": {"url": "mqtt://gw"}, "ring": {"__proto__": {"polluted": 3}}}'))),
    ['ring.__proto__: unknown setting; settings here: path, capacity, retentionHours, policy'])
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched')
})
