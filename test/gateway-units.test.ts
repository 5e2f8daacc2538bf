/**
 * Gateway pieces on their own, with real SQLite files: group commit, dedup and conflicts, rules, config,
 * the packet-size meter, credentials.
 */
import t from 'tap'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import Database from 'better-sqlite3'
import { openDatabase, schemaVersion } from '../gateway/store/db.js'
import { MIGRATIONS } from '../gateway/store/migrations.js'
import { PunchStore, type PunchRow } from '../gateway/store/punch-store.js'
import { DeviceStore } from '../gateway/store/device-store.js'
import { GroupCommit, type CommitResult } from '../gateway/ingest/group-commit.js'
import { flagPunch, DEFAULT_RULES } from '../gateway/rules/rules.js'
import { loadConfig } from '../gateway/config.js'
import { FrameMeter, PartialBudget } from '../gateway/broker/packet-guard.js'
import type { Punch } from '../shared/punch.js'

const H = 3600_000
const punch = (seq: number, over: Partial<Punch> = {}): Punch => ({ seq, ts: 1795309083120, emp: 'E1', kind: 'in', method: 'card', clock: 'synced', ...over })
const row = (device: string, p: Punch): PunchRow => ({ device, epoch: '9f2c41d0', tz: 480, punch: p, flags: '' })

t.test('group commit: one transaction for many jobs, dedup, conflicts, callbacks after commit', async t => {
  const db = openDatabase(join(t.testdir(), 'g.db'))
  t.teardown(() => db.close())
  t.equal(schemaVersion(db), MIGRATIONS.length, 'every migration applied')
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal')
  t.equal(db.pragma('synchronous', { simple: true }), 2, 'synchronous=FULL')
  let commits = 0
  const gc = new GroupCommit(db, new PunchStore(db), {}, () => { commits++ })
  const results: CommitResult[] = []
  const job = (rows: PunchRow[]): Promise<CommitResult> => new Promise((resolve, reject) => {
    gc.enqueue({ rows, received: Date.now(), done: (err, r) => { if (err != null) reject(err); else { results.push(r!); resolve(r!) } } })
  })
  const [a, b, c] = await Promise.all([
    job([row('A', punch(1)), row('A', punch(2))]),
    job([row('B', punch(1))]),
    job([row('A', punch(2)), row('A', punch(3))])
  ])
  t.equal(commits, 1, 'three jobs, one transaction')
  t.same(a, { stored: [1, 2], known: [], conflicts: [] })
  t.same(b, { stored: [1], known: [], conflicts: [] })
  t.same(c, { stored: [3], known: [2], conflicts: [] })
  const d = await job([row('A', punch(1, { emp: 'E2' })), row('A', punch(3))])
  t.same(d, { stored: [], known: [1, 3], conflicts: [1] }, 'a resend with other content is a conflict; the first copy wins')
  t.equal((db.prepare("SELECT emp FROM punches WHERE device='A' AND seq=1").get() as { emp: string }).emp, 'E1')
  t.equal((db.prepare('SELECT count(*) AS n FROM punches').get() as { n: number }).n, 4)
})

t.test('group commit: a failing job is isolated; its neighbours commit', async t => {
  const db = openDatabase(join(t.testdir(), 'g.db'))
  t.teardown(() => db.close())
  const gc = new GroupCommit(db, new PunchStore(db))
  const bad = row('A', punch(5))
  ;(bad.punch as unknown as Record<string, unknown>).emp = null // violates NOT NULL: the insert throws
  const outcomes = await Promise.all([
    new Promise(resolve => gc.enqueue({ rows: [row('A', punch(1))], received: 1, done: (err) => resolve(err === null ? 'ok' : 'err') })),
    new Promise(resolve => gc.enqueue({ rows: [bad], received: 1, done: (err) => resolve(err === null ? 'ok' : 'err') })),
    new Promise(resolve => gc.enqueue({ rows: [row('B', punch(1))], received: 1, done: (err) => resolve(err === null ? 'ok' : 'err') }))
  ])
  t.same(outcomes, ['ok', 'err', 'ok'])
  t.equal(gc.stats.fallbacks, 1)
  t.equal((db.prepare('SELECT count(*) AS n FROM punches').get() as { n: number }).n, 2)
})

t.test('group commit: the queue is bounded', async t => {
  const db = openDatabase(join(t.testdir(), 'g.db'))
  t.teardown(() => db.close())
  const gc = new GroupCommit(db, new PunchStore(db), { maxRows: 1000, maxQueuedRows: 3 })
  const errors: Array<Error | null> = []
  gc.enqueue({ rows: [row('A', punch(1)), row('A', punch(2))], received: 1, done: (e) => errors.push(e) })
  gc.enqueue({ rows: [row('A', punch(3)), row('A', punch(4))], received: 1, done: (e) => errors.push(e) })
  t.match(errors[0]?.message, /ingest queue full/)
  gc.flush()
  t.equal(errors[1], null)
})

t.test('rules: late-sync, expired, clock-unsynced, future, manual; nothing for a fresh punch', async t => {
  const now = 1795309083120
  const ctx = { device: 'T', tz: undefined, received: now }
  t.equal(flagPunch(punch(1, { ts: now - 1000 }), ctx, DEFAULT_RULES), '')
  t.equal(flagPunch(punch(1, { ts: now - 24 * H }), ctx, DEFAULT_RULES), '', 'exactly 24 h is not late')
  t.equal(flagPunch(punch(1, { ts: now - 24 * H - 1 }), ctx, DEFAULT_RULES), 'late-sync')
  t.equal(flagPunch(punch(1, { ts: now - 72 * H }), ctx, DEFAULT_RULES), 'late-sync')
  t.equal(flagPunch(punch(1, { ts: now - 72 * H - 1 }), ctx, DEFAULT_RULES), 'expired')
  t.equal(flagPunch(punch(1, { ts: now, clock: 'unsynced' }), ctx, DEFAULT_RULES), 'clock-unsynced')
  t.equal(flagPunch(punch(1, { ts: now + 6 * 60_000 }), ctx, DEFAULT_RULES), 'future')
  t.equal(flagPunch(punch(1, { ts: now - 30 * H, clock: 'unsynced', method: 'manual', manual: { reason: 'x' } }), ctx, DEFAULT_RULES), 'late-sync,clock-unsynced,manual')
  t.equal(flagPunch(punch(1, { ts: now - 2 * H }), ctx, { ...DEFAULT_RULES, lateSyncMs: H }), 'late-sync', 'windows are configurable')
})

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
    [{ mqtt: { maxPartialBytes: 1024 } }, /mqtt.maxPartialBytes: must be at least mqtt.maxPacketBytes/]
  ]
  for (const [o, re] of bad) {
    write(o)
    t.throws(() => loadConfig({ file }), re, JSON.stringify(o))
  }
  t.throws(() => loadConfig({ env: { PUNCHLINE_UPSTREAM_URL: 'http://x/', PUNCHLINE_UPSTREAM_KIND: 'ftp' } }), /PUNCHLINE_UPSTREAM_KIND/)
})

t.test('frame meter: passes packets within the bound, stops one beyond it, across chunk splits', async t => {
  const packet = (type: number, bodyLen: number): Buffer => {
    const len: number[] = []
    let x = bodyLen
    do { let b = x % 128; x = Math.floor(x / 128); if (x > 0) b |= 0x80; len.push(b) } while (x > 0)
    return Buffer.concat([Buffer.from([type, ...len]), Buffer.alloc(bodyLen)])
  }
  const meter = (max: number): FrameMeter => {
    const m = new FrameMeter({ maxPacketBytes: max, maxConnectBytes: max, budget: new PartialBudget(Infinity) })
    m.admit()
    return m
  }
  const m = meter(1000)
  const stream = Buffer.concat([packet(0x30, 10), packet(0xc0, 0), packet(0x32, 1000), packet(0x30, 300)])
  for (let i = 0; i < stream.length; i += 7) t.equal(m.feed(stream.subarray(i, i + 7)), undefined)
  const over = meter(1000)
  t.equal(over.feed(packet(0x30, 10)), undefined)
  const big = packet(0x30, 1001)
  t.equal(over.feed(big.subarray(0, 2)), undefined, 'the length is not complete yet')
  t.match(over.feed(big.subarray(2, 3))?.message, /MQTT packet of 1001 bytes exceeds the limit of 1000/)
  t.match(meter(10).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]))?.message, /malformed/)
})

t.test('credentials: hashed, verified, changed and removed', async t => {
  const db = openDatabase(join(t.testdir(), 'd.db'))
  t.teardown(() => db.close())
  const devices = new DeviceStore(db)
  const secret = await devices.add('T-1')
  const stored = (db.prepare("SELECT secret_hash FROM devices WHERE id='T-1'").get() as { secret_hash: string }).secret_hash
  t.notOk(stored.includes(secret), 'the secret is not stored in clear')
  t.match(stored, /^scrypt\$16384\$8\$1\$/)
  t.ok(await devices.verify('T-1', secret))
  t.ok(await devices.verify('T-1', secret), 'cached path')
  t.notOk(await devices.verify('T-1', secret + 'x'))
  t.notOk(await devices.verify('T-2', secret))
  await devices.add('T-1', 'another-secret')
  t.notOk(await devices.verify('T-1', secret), 'an old secret stops working once changed')
  t.ok(await devices.verify('T-1', 'another-secret'))
  devices.remove('T-1')
  t.notOk(await devices.verify('T-1', 'another-secret'), 'a removed device is refused')
})

t.test('migrations: a file from an older punchline is upgraded in place, rows kept', async t => {
  const file = join(t.testdir(), 'old.db')
  const old = new Database(file)
  old.exec(MIGRATIONS[0])
  old.pragma('user_version = 1')
  old.prepare(`INSERT INTO punches (device, epoch, seq, ts, emp, kind, method, clock, received)
    VALUES ('T-1', '9f2c41d0', 1, 1795309083120, 'E1', 'in', 'card', 'synced', 1795309083500)`).run()
  old.close()
  const db = openDatabase(file)
  t.teardown(() => db.close())
  t.equal(schemaVersion(db), MIGRATIONS.length)
  t.match(db.prepare('SELECT * FROM punches').all(), [{ device: 'T-1', seq: 1, up: null }])
  t.throws(() => { db.pragma(`user_version = ${MIGRATIONS.length + 1}`); db.close(); openDatabase(file) }, /newer than this punchline knows/)
})
