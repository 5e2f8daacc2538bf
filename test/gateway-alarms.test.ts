/**
 * Alarms: each one raised (warning, and critical where it escalates) and cleared from crafted snapshots,
 * with a message that names what to do; then one through a live gateway process, from the upstream's
 * refusal to the operator's replay: /api/alarms, the log lines and the gauges.
 */
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { evaluateAlarms, type Alarm, type AlarmExtras } from '../gateway/alarms.js'
import type { DeviceHealth, HealthSnapshot } from '../gateway/health.js'
import { defaultConfig } from '../gateway/config.js'
import { startGatewayProcess, cliAsync } from './helpers/gateway-process.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'
import { sinkRefusingSeq } from './helpers/refusing-sink.js'
import type { ActiveAlarms } from '../gateway/health-watch.js'

const NOW = Date.parse('2026-11-23T10:00:00.000Z')
const MIN = 60_000
const MiB = 2 ** 20
const TH = defaultConfig().alarms // silent 120 min, backlog 30 min, upstream 10 min, disk 85 %
const X: AlarmExtras = { clockSkewMs: 120_000 }

function device (over: Partial<DeviceHealth> = {}): DeviceHealth {
  return { id: 'T-1', online: true, lastSeen: NOW - MIN, created: NOW - 30 * 86_400_000, ring: { pending: 10, capacity: 100, fill: 0.1 }, clockOffsetMs: 150, battery: 0.9, ...over }
}

/** A site where nothing needs a person. */
function healthy (over: Partial<HealthSnapshot> = {}): HealthSnapshot {
  return {
    at: NOW,
    gatewayId: 'site-7',
    upstream: { configured: true },
    devices: [device()],
    backlog: { batches: 0, pendingPunches: 0, oldestReceived: null, deadLetters: 0, oldestPendingAgeMs: null },
    outbox: { failingBatches: 0, failingSince: null, lastError: null },
    deadLetters: { refused: 0, unmapped: 0 },
    flags24h: {},
    storage: { fileBytes: 10 * MiB, freePageBytes: 0, walBytes: 0, usedBytes: 10 * MiB, maxDbBytes: 0, diskFreeBytes: 10_000 * MiB, diskTotalBytes: 20_000 * MiB, minFreeBytes: 256 * MiB, full: null },
    backups: [],
    ...over
  }
}

function backlog (ageMs: number, pending = 1000): HealthSnapshot['backlog'] {
  return { batches: 2, pendingPunches: pending, oldestReceived: NOW - ageMs, deadLetters: 0, oldestPendingAgeMs: ageMs }
}

const only = (alarms: Alarm[], name: string): Alarm[] => alarms.filter(a => a.name === name)
const run = (s: HealthSnapshot, x: AlarmExtras = X): Alarm[] => evaluateAlarms(s, TH, x, NOW)

t.test('a healthy site raises nothing', async t => {
  t.same(run(healthy()), [])
})

t.test('device silent: warning past deviceSilentMinutes, critical at 4x, cleared when seen', async t => {
  t.same(only(run(healthy({ devices: [device({ lastSeen: NOW - 119 * MIN })] })), 'device-silent'), [])
  const [w] = run(healthy({ devices: [device({ lastSeen: NOW - 121 * MIN })] }))
  t.match(w, { name: 'device-silent', severity: 'warning', subject: 'T-1', message: /T-1 silent for 2 h .*check its power and network/ })
  const [c] = run(healthy({ devices: [device({ lastSeen: NOW - 481 * MIN })] }))
  t.match(c, { name: 'device-silent', severity: 'critical', subject: 'T-1' })
  const [never] = run(healthy({ devices: [device({ lastSeen: null, created: NOW - 3 * 60 * MIN, ring: null })] }))
  t.match(never, { severity: 'warning', message: /registered 3 h ago and has never connected: check its secret/ })
  t.same(run(healthy({ devices: [device({ lastSeen: NOW })] })), [], 'cleared once it is seen again')
})

t.test('backlog old: warning past backlogAgeMinutes, critical at 4x', async t => {
  t.same(only(run(healthy({ backlog: backlog(29 * MIN) })), 'backlog-old'), [])
  t.match(only(run(healthy({ backlog: backlog(31 * MIN) })), 'backlog-old'), [{ severity: 'warning', message: /oldest of 1000 punches .* stored 31 min ago/ }])
  t.match(only(run(healthy({ backlog: backlog(121 * MIN) })), 'backlog-old'), [{ severity: 'critical' }])
  t.match(only(run(healthy({ upstream: { configured: false }, backlog: backlog(31 * MIN) })), 'backlog-old'), [{ message: /no upstream is configured: set upstream.url/ }])
})

t.test('upstream failing: no delivery for upstreamFailingMinutes while punches wait, or a config failure', async t => {
  const since = NOW - 60 * MIN // the gateway started an hour ago
  const live = (lastDeliveredAt: number | null, lastFailure: NonNullable<AlarmExtras['upstream']>['lastFailure'] = null): AlarmExtras =>
    ({ ...X, upstream: { since, lastDeliveredAt, lastFailure } })
  const waiting = healthy({ backlog: backlog(20 * MIN) })
  t.same(only(run(waiting, live(NOW - 5 * MIN)), 'upstream-failing'), [], 'delivering, if slowly')
  t.match(only(run(waiting, live(NOW - 50 * MIN, { kind: 'retry', error: 'HTTP 503', at: NOW - MIN })), 'upstream-failing'),
    [{ severity: 'critical', message: /no punch delivered upstream for 20 min while 1000 wait; last error: HTTP 503/ }],
    'counted from the oldest waiting punch, not from the last delivery before a quiet spell')
  t.same(only(run(healthy({ backlog: backlog(5 * MIN) }), live(NOW - 50 * MIN)), 'upstream-failing'), [], 'a backlog 5 minutes old is not an outage')
  t.same(only(run(healthy(), live(NOW - 50 * MIN)), 'upstream-failing'), [], 'nothing waits: nothing fails')
  t.match(only(run(healthy(), live(NOW - 50 * MIN, { kind: 'config', error: 'HTTP 401', at: NOW - MIN })), 'upstream-failing'),
    [{ severity: 'critical', message: /refuses the gateway \(HTTP 401\): check upstream.url and the token/ }])
  t.same(only(run(healthy(), live(NOW, { kind: 'config', error: 'HTTP 401', at: NOW - MIN })), 'upstream-failing'), [], 'a delivery after it clears it')
  // From another process (the report): the outbox's oldest failing batch is the evidence.
  const failing = healthy({ backlog: backlog(20 * MIN), outbox: { failingBatches: 1, failingSince: NOW - 15 * MIN, lastError: 'HTTP 502' } })
  t.match(only(run(failing), 'upstream-failing'), [{ severity: 'critical', message: /for 15 min .*HTTP 502/ }])
  t.same(only(run(healthy({ backlog: backlog(20 * MIN) })), 'upstream-failing'), [], 'no failing batch, no evidence')
  t.same(only(run(healthy({ upstream: { configured: false }, backlog: backlog(20 * MIN) })), 'upstream-failing'), [], 'no upstream, nothing to fail')
})

t.test('storage: warning near the budget or the floor, critical when full', async t => {
  const st = (over: Partial<HealthSnapshot['storage']>): HealthSnapshot => healthy({ storage: { ...healthy().storage, ...over } })
  t.same(run(st({ maxDbBytes: 100 * MiB, usedBytes: 84 * MiB })), [])
  t.match(run(st({ maxDbBytes: 100 * MiB, usedBytes: 85 * MiB })), [{ name: 'storage', severity: 'warning', message: /database at 85 % of its 100 MiB budget/ }])
  t.match(run(st({ diskFreeBytes: 500 * MiB })), [{ name: 'storage', severity: 'warning', message: /disk: 500 MiB free, within twice the 256 MiB floor/ }])
  t.same(run(st({ diskFreeBytes: 513 * MiB })), [])
  t.match(run(st({ full: 'disk: 120 MiB free, below the 256 MiB floor' })), [{ name: 'storage', severity: 'critical', message: /ingest stopped, disk: 120 MiB free.*resumes by itself/ }])
  t.match(run(healthy(), { ...X, storageFull: 'disk: a commit failed with SQLITE_FULL' }), [{ severity: 'critical', message: /SQLITE_FULL/ }], "the live guard's verdict counts too")
})

t.test('dead letters waiting: one warning that says what to do for each kind', async t => {
  t.match(run(healthy({ deadLetters: { refused: 2, unmapped: 1 } })), [{
    name: 'dead-letters', severity: 'warning', message: /3 dead letters wait: 2 refused .*deadletters list.*; 1 for people the roster does not map yet/
  }])
  t.same(run(healthy({ deadLetters: { refused: 0, unmapped: 0 } })), [])
})

t.test('ring nearly full and clock offset, per device', async t => {
  const s = healthy({
    devices: [
      device({ id: 'T-1', ring: { pending: 80, capacity: 100, fill: 0.8 } }),
      device({ id: 'T-2', ring: { pending: 79, capacity: 100, fill: 0.79 }, clockOffsetMs: -300_000 }),
      device({ id: 'T-3', clockOffsetMs: 120_000 })
    ]
  })
  const alarms = run(s)
  t.match(only(alarms, 'ring-nearly-full'), [{ subject: 'T-1', severity: 'warning', message: /T-1 ring 80 % full \(80 of 100/ }])
  t.match(only(alarms, 'clock-offset'), [{ subject: 'T-2', severity: 'warning', message: /T-2 clock was off by 5 min/ }], 'beyond rules.clockSkewMs either way; at it, not')
  t.equal(alarms.length, 2)
})

t.test('critical alarms come first', async t => {
  const alarms = run(healthy({ deadLetters: { refused: 1, unmapped: 0 }, storage: { ...healthy().storage, full: 'disk: full' } }))
  t.same(alarms.map(a => a.severity), ['critical', 'warning'])
})

t.test('through a live gateway: raised on a dead letter, cleared by the replay; log lines and gauges', async t => {
  const dir = t.testdir()
  const sink = await sinkRefusingSeq(t, 2)
  const config = join(dir, 'gateway.json')
  // No disk floor: this machine's free space must not add a storage alarm of its own.
  writeFileSync(config, JSON.stringify({ alarms: { intervalSeconds: 0.2 }, storage: { minFreeBytes: 0 }, forward: { lingerMs: 10 }, backup: { intervalHours: 0 } }))
  const data = join(dir, 'data')
  const gw = await startGatewayProcess({ dataDir: data, upstream: sink.url, allowAnonymous: true, args: ['--config', config] })
  t.teardown(() => gw.stop())
  const gauge = async (): Promise<string> => (await (await fetch(gw.httpUrl + '/metrics')).text())
  const alarms = async (): Promise<ActiveAlarms> => await (await gw.api('/api/alarms')).json() as ActiveAlarms

  const dev = await connectDevice(gw.mqttUrl, 'T-9')
  t.teardown(() => dev.close())
  await dev.publish(batch('b-1', [1, 2, 3]))
  await dev.ackFor('b-1')
  await until(async () => (await alarms()).alarms.some(a => a.name === 'dead-letters'), 'the dead-letters alarm')
  t.match((await alarms()).alarms, [{ name: 'dead-letters', severity: 'warning', message: /1 dead letter waits: 1 refused by the upstream/ }])
  t.match(await gauge(), /^punchline_alarm\{name="dead-letters",severity="warning"\} 1$/m)
  t.match(await gauge(), /^punchline_alarms_active\{severity="warning"\} 1$/m)
  t.ok(gw.logs.some(l => l.level === 40 && l.alarm === 'dead-letters' && l.severity === 'warning' && /^alarm raised: 1 dead letter/.test(l.msg)), 'one warning line on raise')

  sink.respond(() => ({ status: 200 }))
  const replay = await cliAsync(['deadletters', 'replay', '--all', '--data', data])
  t.equal(replay.status, 0, replay.stderr)
  await until(async () => (await alarms()).alarms.length === 0, 'the alarm to clear')
  await until(() => gw.logs.some(l => l.msg === 'alarm cleared: dead-letters'), 'the clear to be logged')
  t.match(gw.logs.find(l => l.msg === 'alarm cleared: dead-letters'), { level: 30, severity: 'warning' })
  t.match(await gauge(), /^punchline_alarm\{name="dead-letters",severity="warning"\} 0$/m)
  t.match(await gauge(), /^punchline_alarms_active\{severity="warning"\} 0$/m)
  await sink.waitFor(() => sink.received.get('T-9:9f2c41d0:2') === 1)
})
