/**
 * Scenario files are read like the gateway's and the device's settings: a JSON Schema checked by
 * shared/settings-check.ts first, then the rules that relate fields, all into one list of problems with
 * paths; and the schema published in docs/scenario.schema.json works in any JSON Schema validator.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { parseDocument } from 'yaml'
import { parseScenario } from '../sim/scenario/parse.js'
import { listScenarios } from '../sim/scenario/library.js'
import { MINIMAL, problemsOf } from './helpers/scenario-text.js'

t.test('every problem of a file at once, the schema\'s and the rules\' alike, in file order, misspellings named', async t => {
  const problems = problemsOf(MINIMAL
    .replace('staff: 10', 'staf: 10')
    .replace('devices: [{ kind: terminal, count: 2 }]', 'devices: [{ kind: terminal, count: 2, method: gps }, { kind: wach, count: 1, prefix: hq-W }]')
    .replace("end: '17:00'", "end: '17:00', days: mon-fry") + `faults:
  - { kind: site-outag, at: 1h, for: 2h }
  - { kind: power-cut, at: 'payday 10:00', off: '500' }
  - { kind: site-outage, at: 8d, for: 2h }
`)
  t.same(problems, [
    'sites[0].staff: is required',
    "sites[0].staf: unknown field (did you mean 'staff'?); fields here: id, tz, location, staff, devices, shifts, makeupRate",
    'sites[0].devices[0].method: must be one of card, fingerprint, face, pin, ble',
    "sites[0].devices[1].kind: must be terminal or watch (did you mean 'watch'?)",
    "sites[0].shifts[0].days: 'mon-fry' is not a weekday or range (mon, tue, wed, thu, fri, sat, sun; 'mon-fri')",
    "faults[0].kind: must be one of site-outage, flapping, latency, gateway-restart, upstream-outage, power-cut, rtc-loss, clock-jump, gps-spoof, poison-record, thundering-herd (did you mean 'site-outage'?)",
    "faults[1].at: 'payday 10:00' is not a weekday and time like 'fri 18:00'",
    "faults[1].off: '500' has no unit: write e.g. '500ms', '500s' or '500m'",
    'faults[2].at: 8d after the start is not before the scenario ends (duration 7d)'
  ])
})

t.test('a watch punches by GPS and nothing else', async t => {
  t.same(problemsOf(MINIMAL.replace('devices: [{ kind: terminal, count: 2 }]', 'location: { lat: 1, lon: 2 }\n    devices: [{ kind: terminal, count: 2 }, { kind: watch, count: 1, method: card }]')), [
    'sites[0].devices[1].method: must be gps: a watch punches with its GPS fix'
  ])
})

t.test('a field left empty is a field left out', async t => {
  const s = parseScenario(`${MINIMAL}faults:\nexpect:\ngateway:\n  rules:\n`, 'x.yaml')
  t.same([s.faults, s.expect, s.gateway], [[], {}, { rules: {}, retentionDays: 90 }])
  t.same(problemsOf('sites:\n'), ['sites: is required'])
  t.same(problemsOf(''), ['(top level): must be an object'])
})

t.test('the published schema works in a plain JSON Schema validator', async t => {
  const schema = JSON.parse(readFileSync(new URL('../docs/scenario.schema.json', import.meta.url), 'utf8')) as object
  // An editor knows neither `problem` nor `syntax`: it checks the structure and leaves the rest to punchline.
  const validate = new Ajv2020({ strict: false }).compile(schema)
  for (const e of listScenarios()) t.ok(validate(parseDocument(readFileSync(e.path, 'utf8')).toJS()), `${e.name}: ${JSON.stringify(validate.errors)}`)
  t.notOk(validate(parseDocument(MINIMAL.replace('count: 2', 'cuont: 2')).toJS()), 'a misspelt field fails')
  t.notOk(validate(parseDocument(`${MINIMAL}faults: [{ kind: site-outage, at: 1h, for: 1h, down: 1m }]\n`).toJS()), 'a field the fault\'s kind does not take fails')
})
