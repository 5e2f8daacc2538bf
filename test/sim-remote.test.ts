/**
 * Remote mode, as a field engineer at a site runs it: the scenario's devices, with their real credentials,
 * against a running gateway (a real `punchline gateway` process) through links the simulator can cut;
 * what the gateway acknowledges is reconciled, and faults only an embedded gateway can play are refused.
 */
import t from 'tap'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { cli, cliAsync } from './helpers/gateway-process.js'
import { registeredSite } from './helpers/site.js'

t.test('sim --scenario against a real gateway with credentials', async t => {
  const { gw, dir, data, secretsFile: file } = await registeredSite(t, ['store-T0001', 'store-T0002'])
  const run = await cliAsync(['sim', '--scenario', 'weekend-outage', '--broker', gw.mqttUrl, '--secrets', file, '--settle-ms', '1000'])
  t.equal(run.status, 0, run.stdout + run.stderr)
  t.match(run.stdout, /against mqtt:\/\/127\.0\.0\.1:\d+ \(acknowledged = delivered\)/)
  t.match(run.stdout, /OK: every punch accounted for/)
  const generated = Number(/generated\s+([\d,]+)/.exec(run.stdout)?.[1].replace(/,/g, ''))
  t.ok(generated > 0)
  const stored = JSON.parse(cli(['report', '--json', '--data', data]).stdout) as { backlog: { pendingPunches: number } }
  t.equal(stored.backlog.pendingPunches, generated, 'the gateway stored every punch (no upstream configured: all pending there)')

  const wrong = join(dir, 'wrong.json')
  writeFileSync(wrong, JSON.stringify({ 'store-T0001': 'nope-nope-nope', 'store-T0002': 'nope-nope-nope' }))
  const refused = await cliAsync(['sim', '--scenario', 'poison-record', '--broker', gw.mqttUrl, '--secrets', wrong])
  t.equal(refused.status, 1)
  t.match(refused.stderr, /remote mode: poison-record need the embedded gateway and upstream/)
})
