/**
 * Scenario files: the shipped library parses, the units people write mean what they say, defaults fill
 * what a file leaves out, and a bad file gets every one of its mistakes back with a path and a rule.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { parseScenario, loadScenario } from '../sim/scenario/parse.js'
import { SettingsError } from '../shared/settings-check.js'
import { listScenarios, namedScenario, scenariosDir } from '../sim/scenario/library.js'
import { scaleScenario } from '../sim/workload/scale.js'
import { selectDevices } from '../sim/scenario/devices.js'
import { FAULT_KINDS } from '../sim/scenario/fault-schema.js'
import { formatDuration, parseDuration, parseSignedDuration } from '../sim/scenario/duration.js'
import { parseStart, parseTimeOfDay, parseTimelineAt, parseTz, parseWeekdays } from '../sim/scenario/calendar.js'
import { planPunches } from '../sim/workload/plan.js'
import { expectedOverwritten } from '../sim/workload/ring-loss.js'
import { MINIMAL, problemsOf } from './helpers/scenario-text.js'

const H = 3_600_000
const MIN = 60_000
const DAY = 24 * H
/** 2026-11-23 00:00 at +08:00 */
const MONDAY_SG = Date.UTC(2026, 10, 23) - 8 * H

const LIBRARY = [
  'bad-clock', 'flapping-link', 'gateway-restart', 'gps-spoof', 'large-fleet', 'normal-week', 'poison-record', 'power-cut',
  'ring-too-small', 'thundering-herd', 'upstream-outage', 'watch-outage-72h', 'weekend-outage'
]

t.test('every library scenario parses, says what it shows, and is found by name', async t => {
  t.same(listScenarios().map(e => e.name), LIBRARY)
  for (const name of LIBRARY) {
    const s = namedScenario(name)
    t.equal(s.name, name, `${name}: the name inside matches the file`)
    t.ok(s.description.length > 20, `${name}: has a description`)
    const text = readFileSync(`${scenariosDir()}/${name}.yaml`, 'utf8')
    t.match(text, new RegExp(`^# ${name}: `), `${name}: starts with a comment header naming it`)
    t.match(text, /# A good run: /, `${name}: its header says what a good run looks like`)
  }
  t.throws(() => namedScenario('no-such'), /no scenario 'no-such' \(scenarios: bad-clock, .*weekend-outage\)/)
})

t.test('the library shows every fault kind at least once', async t => {
  const kinds = new Set(LIBRARY.flatMap(n => namedScenario(n).faults.map(f => f.kind)))
  t.same([...FAULT_KINDS].filter(k => !kinds.has(k)), [], 'no fault kind without a scenario')
})

t.test('a bad file gets all its mistakes back, each with its path and rule', async t => {
  const text = `
seed: 1
sites:
  - id: hq
    tz: '+25:00'
    staff: 10
    devices:
      - { kind: terminal, count: 2 }
      - { kind: terminal, count: 1, prefix: hq-X, ring: { capacity: 0 } }
    shifts: [{ start: '08:00', end: '17:60' }]
  - id: depot
    tz: 480
    staff: 2
    devices: [{ kind: terminal, count: 1 }]
    shifts: [{ start: '06:00', end: '14:00' }]
faults:
  - { kind: site-outage, at: 1h, for: 2h, site: hq }
  - { kind: site-outage, at: 1h, for: 2h, site: depot }
  - { kind: site-outage, at: 1h, for: 2h, site: hq2 }
  - { kind: meteor, at: 1h }
  - { kind: gateway-restart, at: 8d }
`
  let err: unknown
  try { parseScenario(text, 'my-site.yaml') } catch (e) { err = e }
  t.type(err, SettingsError)
  const e = err as SettingsError
  t.same(e.problems.map(p => `${p.path}: ${p.message}`), [
    "sites[0].tz: '+25:00' must be between -720 and 840 minutes ('-12:00' to '+14:00')",
    'sites[0].devices[1].ring.capacity: must be a whole number between 1 and 1000000',
    "sites[0].shifts[0].end: '17:60' is not a time of day (00:00 to 23:59, or 24:00)",
    "faults[2].site: no site 'hq2' (sites: hq, depot)",
    'faults[3].kind: must be one of site-outage, flapping, latency, gateway-restart, upstream-outage, power-cut, rtc-loss, clock-jump, gps-spoof, poison-record, thundering-herd',
    'faults[4].at: 8d after the start is not before the scenario ends (duration 7d)'
  ])
  t.match(e.message, /^my-site\.yaml: 6 problems:\n {2}- sites\[0\]\.tz: /, 'one error naming the file, a line per problem')
})

t.test('cross-field rules name the field and the reason', async t => {
  const p = problemsOf(`
sites:
  - id: field
    tz: '+08:00'
    staff: 5
    devices: [{ kind: watch, count: 2 }, { kind: watch, count: 1, prefix: field-W }]
    shifts:
      - { name: a, start: '08:00', end: '17:00', staffShare: 0.7, breaks: [{ start: '18:00', length: 30m }] }
      - { name: a, start: '22:00', end: '06:00', staffShare: 0.2, breaks: [{ start: '02:00', length: 30m }, { start: '02:15', length: 10m }] }
faults:
  - { kind: gps-spoof, at: 1h, select: { devices: [field-W0009] } }
  - { kind: power-cut, at: 1h, off: 0 }
  - { kind: clock-jump, at: 1h, by: '-2h', site: field }
`)
  t.same(p, [
    'sites[0].location: is required when the site has watches: their GPS fixes are around it, and it is the geofence',
    'sites[0].staff: 5 people but only 3 watches and no terminal: add terminals or watches, or lower staff',
    "sites[0].devices[1].prefix: 'field-W' is also the prefix of sites[0].devices[0]: give each group its own prefix, device ids must not repeat",
    "sites[0].shifts: the shifts' staffShare add up to 0.9; they must add up to 1 (leave one out to give it the rest)",
    "sites[0].shifts[0].breaks[0]: must start after the shift starts and end before it ends (shift 'a')",
    "sites[0].shifts[1].name: 'a' is already a shift of this site",
    'sites[0].shifts[1].breaks[1]: overlaps breaks[0]',
    'faults[0].select: selects no watch: gps-spoof changes GPS fixes, which only watches take',
    "faults[0].select.devices[0]: no device \"field-W0009\" in this scenario (ids are a group's prefix and a 4-digit number, e.g. 'field-W0001')",
    'faults[1].off: must be longer than 0',
    'faults[2].site: unknown field; fields here: kind, at, select, by'
  ])
})

t.test('unknown fields are problems, with a suggestion when one is close', async t => {
  const p = problemsOf(MINIMAL.replace('staff: 10', 'staf: 10').replace("end: '17:00'", "end: '17:00', sprea: 5m"))
  t.same(p, [
    'sites[0].staff: is required',
    "sites[0].staf: unknown field (did you mean 'staff'?); fields here: id, tz, location, staff, devices, shifts, makeupRate",
    "sites[0].shifts[0].sprea: unknown field (did you mean 'spread'?); fields here: name, start, end, days, breaks, staffShare, spread"
  ])
})

t.test('several sites: a fault must say which', async t => {
  const text = MINIMAL + `  - id: depot
    tz: '+08:00'
    staff: 1
    devices: [{ kind: terminal, count: 1 }]
    shifts: [{ start: '08:00', end: '17:00' }]
faults:
  - { kind: site-outage, at: 1h, for: 1h }
`
  t.same(problemsOf(text), ['faults[0].site: is required with more than one site (sites: hq, depot)'])
  t.same(problemsOf(text.replace('count: 1 }]', 'count: 1, prefix: hq-T1 }]').replace('for: 1h }', 'for: 1h, site: hq }')), [
    "sites[1].devices[0].prefix: 'hq-T1' and the prefix 'hq-T' of sites[0].devices[0] start alike: a device id would match both"
  ], 'prefixes that start alike would put devices in the wrong site')
})

t.test('a YAML syntax error is reported with its line', async t => {
  const p = problemsOf('sites:\n  - id: hq\n    tz: [unclosed\n')
  t.equal(p.length, 1)
  t.match(p[0], /^line \d+, column \d+: /)
})

t.test('JSON files parse the same as YAML', async t => {
  const json = JSON.stringify({
    name: 'from-json',
    sites: [{ id: 'hq', tz: 480, staff: 3, devices: [{ kind: 'terminal', count: 1 }], shifts: [{ start: '08:00', end: '17:00' }] }],
    faults: [{ kind: 'site-outage', at: 3_600_000, for: '2h' }]
  })
  const s = parseScenario(json, 'x.json')
  t.equal(s.name, 'from-json')
  t.same(s.faults, [{ kind: 'site-outage', atMs: H, forMs: 2 * H, site: 'hq' }])
})

t.test('defaults fill everything a file may leave out', async t => {
  const s = parseScenario(MINIMAL + `  - id: field
    tz: '+08:00'
    location: { lat: 1.3, lon: 103.8 }
    staff: 1
    devices: [{ kind: watch, count: 1 }]
    shifts:
      - { start: '06:00', end: '14:00' }
      - { start: '14:00', end: '22:00', staffShare: 0.5 }
      - { start: '22:00', end: '06:00' }
faults:
  - { kind: power-cut, at: 0 }
  - { kind: upstream-outage, at: 0, for: 1h }
`, '/some/dir/my-site.yaml')
  t.equal(s.name, 'my-site', 'name: the file name')
  t.equal(s.description, '')
  t.equal(s.seed, 1)
  t.equal(s.stepMs, MIN)
  t.equal(s.startMs, MONDAY_SG, 'start: 2026-11-23 00:00 in the first site\'s tz')
  t.equal(s.durationMs, 7 * DAY)
  const [term, watch] = [s.sites[0].devices[0], s.sites[1].devices[0]]
  t.same(term, { kind: 'terminal', count: 2, prefix: 'hq-T', method: 'card', ring: { capacity: 10_000, policy: 'refuse' }, uplink: { batchSize: 100, window: 2 }, clockDriftPpm: 0 })
  t.same(watch.ring, { capacity: 2000, policy: 'refuse' })
  t.equal(watch.method, 'gps')
  t.equal(watch.prefix, 'field-W')
  t.same(s.sites[1].location, { lat: 1.3, lon: 103.8, radiusM: 200 })
  t.equal(s.sites[0].makeupRate, 0)
  const shift = s.sites[0].shifts[0]
  t.same(shift, { name: 'shift1', startMs: 8 * H, endMs: 17 * H, days: ['mon', 'tue', 'wed', 'thu', 'fri'], breaks: [], staffShare: 1, spreadMs: 5 * MIN })
  t.same(s.sites[1].shifts.map(x => x.staffShare), [0.25, 0.5, 0.25], 'shares left out split the rest evenly')
  t.same(s.faults, [
    { kind: 'power-cut', atMs: 0, offMs: MIN, select: {}, tornWrite: true },
    { kind: 'upstream-outage', atMs: 0, forMs: H, status: 503 }
  ])
  t.same(s.gateway, { rules: {}, retentionDays: 90 })
  t.same(s.expect, {})
})

t.test('gateway rules and expectations take the gateway\'s names, with units', async t => {
  const s = parseScenario(MINIMAL + `gateway:
  rules: { lateSyncMs: 12h, gpsMaxSpeedKmh: 150 }
  retentionDays: 7
expect: { overwritten: 3, flags: { late-sync: 2 } }
`, 'x.yaml')
  t.same(s.gateway, { rules: { lateSyncMs: 12 * H, gpsMaxSpeedKmh: 150 }, retentionDays: 7 })
  t.same(s.expect, { overwritten: 3, flags: { 'late-sync': 2 } })
  t.same(problemsOf(MINIMAL + 'expect: { flags: { late: 1 }, lost: 2 }\n'), [
    'expect.flags.late: unknown field; fields here: late-sync, expired, clock-unsynced, future, clock-skew, double, gps-jump, outside-geofence, manual, over-limit, unknown-badge',
    'expect.lost: unknown field; fields here: overwritten, refused, deadLettered, rejected, flags'
  ])
})

t.test('durations: units, compounds, numbers as ms; refusals say why', async t => {
  t.equal(parseDuration('72h'), 72 * H)
  t.equal(parseDuration('90m'), 90 * MIN)
  t.equal(parseDuration('15s'), 15_000)
  t.equal(parseDuration('500ms'), 500)
  t.equal(parseDuration('1d'), DAY)
  t.equal(parseDuration('1w'), 7 * DAY)
  t.equal(parseDuration('1d12h'), 36 * H)
  t.equal(parseDuration('2h 30m'), 150 * MIN)
  t.equal(parseDuration('1.5h'), 90 * MIN)
  t.equal(parseDuration('10min'), 10 * MIN)
  t.equal(parseDuration(2500), 2500, 'a number is ms')
  t.match(parseDuration('500'), { error: /has no unit/ })
  t.match(parseDuration('3 parsecs'), { error: /is not a duration/ })
  t.match(parseDuration(-5), { error: /negative/ })
  t.match(parseDuration('-2h'), { error: /is not a duration/ }, 'a plain duration has no sign')
  t.equal(parseSignedDuration('-2h'), -2 * H)
  t.equal(parseSignedDuration('+90s'), 90_000)
  t.equal(formatDuration(36 * H + 500), '1d12h500ms')
})

t.test('times of day, offsets, weekdays', async t => {
  t.equal(parseTimeOfDay('08:30'), 8.5 * H)
  t.equal(parseTimeOfDay('7:05:30'), 7 * H + 5 * MIN + 30_000)
  t.match(parseTimeOfDay('24:00'), { error: /00:00 to 23:59\)/ })
  t.equal(parseTimeOfDay('24:00', true), DAY, "24:00 is a shift's end at midnight")
  t.match(parseTimeOfDay(800), { error: /quote it/ }, 'a YAML number is not a time')
  t.equal(parseTz('+08:00'), 480)
  t.equal(parseTz('-05:30'), -330)
  t.equal(parseTz('+0545'), 345)
  t.equal(parseTz('Z'), 0)
  t.equal(parseTz(-300), -300)
  t.match(parseTz('+15:00'), { error: /between/ })
  t.match(parseTz(30.5), { error: /whole minutes/ })
  t.same(parseWeekdays('mon-fri'), ['mon', 'tue', 'wed', 'thu', 'fri'])
  t.same(parseWeekdays('sat,sun'), ['sat', 'sun'])
  t.same(parseWeekdays('fri-mon'), ['mon', 'fri', 'sat', 'sun'], 'a range may wrap the week')
  t.same(parseWeekdays(['Sunday', 'wed']), ['wed', 'sun'])
  t.same(parseWeekdays('daily'), ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])
  t.match(parseWeekdays('mon-fry'), { error: /'mon-fry' is not a weekday/ })
})

t.test('the start: a date is site-local midnight, an ISO time with an offset is absolute', async t => {
  t.equal(parseStart('2026-11-23', 480), MONDAY_SG)
  t.equal(parseStart('2026-11-23', -300), Date.UTC(2026, 10, 23, 5))
  t.equal(parseStart('2026-11-23T06:00', 480), MONDAY_SG + 6 * H, 'no offset: site-local')
  t.equal(parseStart('2026-11-23T06:00:00Z', 480), Date.UTC(2026, 10, 23, 6))
  t.equal(parseStart('2026-11-23T06:00:00.250+02:00', 480), Date.UTC(2026, 10, 23, 4, 0, 0, 250))
  t.equal(parseStart(Date.UTC(2026, 0, 1), 480), Date.UTC(2026, 0, 1))
  t.match(parseStart('2026-02-30', 0), { error: /not a real date/ })
  t.match(parseStart('next monday', 0), { error: /must be a date/ })
  t.match(parseStart('1999-12-31', 0), { error: /2000 and 2100/ })
})

t.test("the timeline: 'fri 18:00' is the first such moment at or after the start, site-local", async t => {
  t.equal(parseTimelineAt('fri 18:00', MONDAY_SG, 480), 4 * DAY + 18 * H)
  t.equal(parseTimelineAt('mon 00:00', MONDAY_SG, 480), 0, 'the start itself counts')
  t.equal(parseTimelineAt('fri 18:00', MONDAY_SG + 4 * DAY + 20 * H, 480), 7 * DAY - 2 * H, 'after Friday 18:00 it is the next Friday')
  t.equal(parseTimelineAt('4d18h', MONDAY_SG, 480), 4 * DAY + 18 * H)
  t.match(parseTimelineAt('fri 25:00', MONDAY_SG, 480), { error: /not a time of day/ })
  t.match(parseTimelineAt('payday 10:00', MONDAY_SG, 480), { error: /weekday and time/ })
  // The same words at a site 8 hours west are 8 hours later on the shared timeline.
  t.equal(parseTimelineAt('tue 09:00', MONDAY_SG, 0), DAY + 17 * H)
})

t.test('faults on a second site read their time in that site\'s tz', async t => {
  const s = parseScenario(MINIMAL + `  - id: london
    tz: 0
    staff: 1
    devices: [{ kind: terminal, count: 1 }]
    shifts: [{ start: '08:00', end: '17:00' }]
faults:
  - { kind: site-outage, site: london, at: 'mon 09:00', for: 1h }
  - { kind: rtc-loss, at: 'mon 09:00', select: { devices: [london-T0001] } }
  - { kind: thundering-herd, at: 'mon 09:00' }
`, 'x.yaml')
  t.same(s.faults.map(f => f.atMs), [17 * H, 17 * H, 9 * H], "the site's, the named device's site's, the first site's")
})

t.test('selectors pick a site\'s devices, named ones, or the first n', async t => {
  const s = namedScenario('bad-clock')
  t.same(selectDevices(s, {}).map(d => d.id), ['hq-T0001', 'hq-T0002', 'hq-C0001', 'hq-C0002', 'gate-T0001'])
  t.same(selectDevices(s, { site: 'hq', count: 3 }).map(d => d.id), ['hq-T0001', 'hq-T0002', 'hq-C0001'])
  t.same(selectDevices(s, { devices: ['gate-T0001', 'hq-C0002'] }).map(d => d.id), ['hq-C0002', 'gate-T0001'])
})

t.test('scaleScenario changes only what it is asked, on a copy', async t => {
  const s = namedScenario('thundering-herd')
  const before = JSON.stringify(s)
  const big = scaleScenario(s, { deviceFactor: 10, staffFactor: 10, durationMs: 2 * DAY })
  t.equal(JSON.stringify(s), before, 'the original is untouched')
  t.same(big.sites.map(x => x.devices.map(g => g.count)), [[240], [120]])
  t.same(big.sites.map(x => x.staff), [2400, 120])
  t.equal(big.durationMs, 2 * DAY)
  t.same(big.faults, s.faults, 'faults stay where they were')
  t.throws(() => scaleScenario(namedScenario('weekend-outage'), { durationMs: 12 * H }), /faults\[0\] \(site-outage\) starts 19h30m after the start: a duration of 12h ends before it/)
  t.throws(() => scaleScenario(namedScenario('poison-record'), { deviceFactor: 0.3 }), /names hq-T0002, which no longer exists/)
  t.throws(() => scaleScenario(namedScenario('watch-outage-72h'), { staffFactor: 2 }), /40 people but 20 watches and no terminal/)
  t.throws(() => scaleScenario(s, { deviceFactor: 0 }), /device factor must be a number above 0/)
})

t.test('scaling ring-too-small recomputes its exact expectation from the new workload', async t => {
  const s = namedScenario('ring-too-small')
  const scaled = scaleScenario(s, { staffFactor: 2 })
  t.equal(scaled.expect.overwritten, expectedOverwritten(scaled, planPunches(scaled)))
  t.ok((scaled.expect.overwritten ?? 0) > (s.expect.overwritten ?? 0), `more people, more overwritten (${scaled.expect.overwritten})`)
})

t.test('loadScenario names a file it cannot read', async t => {
  t.throws(() => loadScenario('/nonexistent/site.yaml'), /\/nonexistent\/site\.yaml: cannot read the scenario file \(ENOENT\)/)
})

t.test('docs/SCENARIOS.md: the complete example and an example per fault kind parse', async t => {
  const doc = readFileSync(new URL('../docs/SCENARIOS.md', import.meta.url), 'utf8')
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map(m => m[1])
  const full = blocks.find(b => b.startsWith('# my-site'))
  if (full === undefined) throw new Error('the complete example is missing')
  const example = parseScenario(full, 'my-site.yaml')
  t.equal(example.name, 'my-site')
  // Each fault example is put in place of the complete example's faults, so it is checked against real sites.
  const base = full.slice(0, full.indexOf('\nfaults:')) + full.slice(full.indexOf('\ngateway:'))
  const shown = new Set<string>()
  for (const block of blocks.filter(b => b.startsWith('faults:'))) {
    const s = parseScenario(`${base}\n${block}`, 'example.yaml')
    for (const f of s.faults) shown.add(f.kind)
  }
  t.same([...FAULT_KINDS].filter(k => !shown.has(k)), [], 'every fault kind has a working example')
  for (const name of LIBRARY) t.match(doc, `| \`${name}\` |`, `the library table lists ${name}`)
})

t.test('each fault kind reads its fields, with units and defaults', async t => {
  const s = parseScenario(MINIMAL.replace('devices: [{ kind: terminal, count: 2 }]', 'location: { lat: 1.3, lon: 103.8 }\n    devices: [{ kind: terminal, count: 2 }, { kind: watch, count: 1 }]') + `faults:
  - { kind: flapping, at: 1h, for: 2h }
  - { kind: latency, at: 1h, for: 1h }
  - { kind: gateway-restart, at: 2h }
  - { kind: rtc-loss, at: 3h, select: { site: hq, count: 1 } }
  - { kind: clock-jump, at: 3h, by: '-90s', select: { devices: [hq-T0002] } }
  - { kind: gps-spoof, at: 4h }
  - { kind: poison-record, at: 5h }
  - { kind: thundering-herd, at: 'mon 09:00' }
`, 'x.yaml')
  t.same(s.faults, [
    { kind: 'flapping', atMs: H, forMs: 2 * H, site: 'hq', upMs: MIN, downMs: 30_000 },
    { kind: 'latency', atMs: H, forMs: H, site: 'hq', latencyMs: 200, jitterMs: 0 },
    { kind: 'gateway-restart', atMs: 2 * H, downMs: 30_000, crash: false },
    { kind: 'rtc-loss', atMs: 3 * H, select: { site: 'hq', count: 1 } },
    { kind: 'clock-jump', atMs: 3 * H, select: { devices: ['hq-T0002'] }, byMs: -90_000 },
    { kind: 'gps-spoof', atMs: 4 * H, select: {}, km: 100 },
    { kind: 'poison-record', atMs: 5 * H, select: {} },
    { kind: 'thundering-herd', atMs: 9 * H }
  ])
  t.same(problemsOf(MINIMAL + `faults:
  - { kind: latency, at: 1h, for: 1h, latency: 2m }
  - { kind: upstream-outage, at: 1h, for: 1h, status: 404 }
  - { kind: clock-jump, at: 1h, by: 0 }
  - { kind: gateway-restart, at: 1h, crash: 'yes' }
  - { kind: site-outage, at: 1h }
  - just a string
  - { at: 1h, for: 2h }
`), [
    'faults[0].latency: must be at most 60s (got 2m): longer is an outage, not latency',
    'faults[1].status: must be 408, 429 or 500-599: an outage is an answer the forwarder retries',
    "faults[2].by: must not be 0: a jump moves the clock ('+2h', '-90s')",
    'faults[3].crash: must be true or false',
    'faults[4].for: is required',
    'faults[5]: must be an object',
    'faults[6].kind: is required'
  ])
})
