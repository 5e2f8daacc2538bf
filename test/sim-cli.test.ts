/**
 * `punchline sim` with scenarios, as a field engineer runs it: the list, a named scenario with its HTML
 * report and exit status 0, a broken file refused with every mistake named and exit status 1.
 */
import t from 'tap'
import { join } from 'node:path'
import { readFileSync, writeFileSync } from 'node:fs'
import { cliAsync } from './helpers/gateway-process.js'

t.test('sim --list, --scenario with --report, and a bad --file', async t => {
  const dir = t.testdir()
  const list = await cliAsync(['sim', '--list'])
  t.equal(list.status, 0)
  t.match(list.stdout, /^weekend-outage\s+Uplink lost/m)

  const report = join(dir, 'out', 'gps.html')
  const run = await cliAsync(['sim', '--scenario', 'gps-spoof', '--report', report, '--settle-ms', '1000'])
  t.equal(run.status, 0, run.stdout + run.stderr)
  t.match(run.stdout, /sim: gps-spoof \(seed \d+\): 1 site\(s\), 11 devices/)
  t.match(run.stdout, /OK: every punch accounted for/)
  t.match(run.stdout, /gps-jump\s+\d+/)
  const html = readFileSync(report, 'utf8')
  t.match(html, /^<!DOCTYPE html>/i)
  t.equal((html.match(/<svg/g) ?? []).length, 4, 'four charts')

  const bad = join(dir, 'bad.yaml')
  writeFileSync(bad, 'name: x\nsites:\n  - id: hq\n    tz: "+25:00"\n    devices: [{ kind: robot, count: 1 }]\n')
  const refused = await cliAsync(['sim', '--file', bad])
  t.equal(refused.status, 1)
  t.match(refused.stderr, /bad\.yaml/)
  t.match(refused.stderr, /sites\[0\]\.tz/)
  t.match(refused.stderr, /sites\[0\]\.devices\[0\]\.kind/)
})
