/**
 * The gateway's settings (gateway/config.ts): defaults, file, environment and flags in that order, a site's
 * upstream kinds, sites, fences, roster and TLS, and errors that name the setting.
 */
import t from 'tap'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { loadConfig } from '../gateway/config.js'
import { DEFAULT_RULES } from '../gateway/rules/rules.js'

t.test('config: defaults, file, env and flags in that order; clear errors', async t => {
  const dir = t.testdir()
  const d = loadConfig()
  t.equal(d.mqtt.port, 1883)
  t.equal(d.http.port, 8080)
  t.match(d.dataDir, /data$/)
  t.equal(d.allowAnonymous, false)
  t.equal(d.upstream, undefined)
  const file = join(dir, 'c.json')
  writeFileSync(file, JSON.stringify({ gatewayId: 'site-7', mqtt: { port: 1999 }, upstream: { url: 'http://127.0.0.1:9/x', token: 's3cret' }, rules: { lateSyncMs: 1000 } }))
  const c = loadConfig({ file, env: { PUNCHLINE_MQTT_PORT: '2000', PUNCHLINE_HTTP_PORT: '2001' }, flags: { httpPort: 2002 } })
  t.equal(c.gatewayId, 'site-7')
  t.equal(c.mqtt.port, 2000, 'env over file')
  t.equal(c.http.port, 2002, 'flag over env')
  t.equal(c.upstream?.token, 's3cret')
  t.equal(c.upstream?.timeoutMs, 10_000)
  t.equal(c.rules.lateSyncMs, 1000)
  t.equal(c.rules.expiredMs, DEFAULT_RULES.expiredMs)
  writeFileSync(file, JSON.stringify({ mqtt: { prot: 1 } }))
  t.throws(() => loadConfig({ file }), /mqtt.prot: unknown setting \(did you mean 'port'\?\)/)
  writeFileSync(file, JSON.stringify({ mqtt: { port: 'x' } }))
  t.throws(() => loadConfig({ file }), /mqtt.port: must be a number/)
  t.throws(() => loadConfig({ flags: { upstream: 'ftp://x' } }), /upstream.url: a webhook upstream needs an http:\/\/ or https:\/\/ URL/)
  t.throws(() => loadConfig({ env: { PUNCHLINE_MQTT_PORT: '70000' } }), /PUNCHLINE_MQTT_PORT: must be a port number/)
})

t.test('config for a site: upstream kinds, sites and fences, roster, TLS, PUNCHLINE_CONFIG; errors name the setting', async t => {
  const dir = t.testdir()
  const file = join(dir, 'site.json')
  const write = (o: unknown): void => writeFileSync(file, JSON.stringify(o))
  write({
    upstream: { kind: 'erpnext', url: 'https://erp.example.com', token: 'key:secret', shiftTypes: ['Day'], utcOffset: '+08:00' },
    sites: { hq: { devices: ['T-*'], geofences: [{ lat: 1, lon: 2, radiusM: 100 }, { polygon: [[0, 0], [0, 1], [1, 1]] }] } },
    roster: { unknown: 'hold' },
    rules: { manualMonthlyLimit: 3 }
  })
  const c = loadConfig({ env: { PUNCHLINE_CONFIG: file } })
  t.match(c.upstream, { kind: 'erpnext', employeeField: 'attendance_device_id', shiftTypes: ['Day'], utcOffset: '+08:00', timeoutMs: 10_000 })
  t.match(c.sites.hq, { devices: ['T-*'], geofences: [{ radiusM: 100 }, { polygon: [[0, 0], [0, 1], [1, 1]] }] })
  t.equal(c.roster.unknown, 'hold')
  t.equal(c.rules.manualMonthlyLimit, 3)
  t.equal(c.rules.doubleWindowMs, 60_000, 'the other rules keep their defaults')
  t.equal(loadConfig({ flags: { upstream: 'mqtts://broker:8883' } }).upstream?.kind, 'mqtt', 'the kind follows the scheme')
  t.equal(loadConfig({ file, env: { PUNCHLINE_UPSTREAM_URL: 'https://erp2.example.com' } }).upstream?.kind, 'erpnext', 'a URL from the environment keeps the kind')
  t.equal(loadConfig({ env: { PUNCHLINE_UPSTREAM_URL: 'http://x/', PUNCHLINE_UPSTREAM_KIND: 'erpnext', PUNCHLINE_UPSTREAM_TOKEN: 'a:b' } }).upstream?.kind, 'erpnext')
  const bad: Array<[unknown, RegExp]> = [
    [{ upstream: { kind: 'soap', url: 'http://x' } }, /upstream.kind: must be webhook, erpnext or mqtt/],
    [{ upstream: { kind: 'mqtt', url: 'http://x' } }, /upstream.url: an mqtt upstream needs an mqtt:\/\/ or mqtts:\/\/ URL/],
    [{ upstream: { kind: 'erpnext', url: 'http://x', token: 'no-colon' } }, /upstream.token: ERPNext wants 'api_key:api_secret'/],
    [{ upstream: { url: 'http://x', utcOffset: '8h' } }, /upstream.utcOffset: must look like '\+08:00'/],
    [{ upstream: { url: 'http://x', colour: 'red' } }, /upstream.colour: unknown setting/],
    [{ sites: { hq: { devices: ['T 1'] } } }, /sites.hq.devices\[0\]: must be a device id or a prefix ending in '\*'/],
    [{ sites: { hq: { geofences: [{ lat: 91, lon: 0, radiusM: 5 }] } } }, /sites.hq.geofences\[0\].lat: must be between -90 and 90/],
    [{ sites: { hq: { geofences: [{ lat: 1, lon: 0, radiusM: 0 }] } } }, /sites.hq.geofences\[0\].radiusM: must be a number of metres > 0/],
    [{ sites: { hq: { geofences: [{ polygon: [[0, 0], [1, 1]] }] } } }, /sites.hq.geofences\[0\].polygon: needs at least 3/],
    [{ sites: { hq: { geofences: [{ polygon: [[0, 0], [1, 1], [2, 200]] }] } } }, /sites.hq.geofences\[0\].polygon\[2\]: must be \[lat/],
    [{ sites: { 'h q': { devices: [] } } }, /sites.h q: a site id is/],
    [{ roster: { unknown: 'drop' } }, /roster.unknown: must be 'forward' or 'hold'/],
    [{ rules: { doubleWindowMs: -1 } }, /rules.doubleWindowMs: must be a number >= 0/],
    [{ rules: { lateSyncMs: 10, expiredMs: 5 } }, /rules.lateSyncMs: must not exceed rules.expiredMs/],
    [{ mqtt: { tls: { cert: '/x.pem' } } }, /mqtt.tls: set both cert and key/],
    [{ storage: { checkIntervalMs: 1 } }, /storage.checkIntervalMs: must be at least 100/],
    [{ alarms: { intervalSeconds: 0 } }, /alarms.intervalSeconds: must be at least 0.1/],
    [{ watermark: { intervalSeconds: 0 } }, /watermark.intervalSeconds: must be at least 1/],
    [{ mqtt: { maxConnectBytes: 100 } }, /mqtt.maxConnectBytes: must be a whole number between 512 and mqtt.maxPacketBytes/],
    [{ mqtt: { maxPartialBytes: 1024 } }, /mqtt.maxPartialBytes: must be at least mqtt.maxPacketBytes/],
    [{ ingest: { commitThread: 'yes' } }, /ingest.commitThread: /],
    [{ ingest: { maxRowsPerCommit: 0 } }, /ingest.maxRowsPerCommit: must be a whole number between 1 and 1000000/],
    [{ ingest: { maxQueuedRows: 100 } }, /ingest.maxQueuedRows: must be at least 500 \(the punches of one batch\)/]
  ]
  for (const [o, re] of bad) {
    write(o)
    t.throws(() => loadConfig({ file }), re, JSON.stringify(o))
  }
  t.throws(() => loadConfig({ env: { PUNCHLINE_UPSTREAM_URL: 'http://x/', PUNCHLINE_UPSTREAM_KIND: 'ftp' } }), /PUNCHLINE_UPSTREAM_KIND/)
})
