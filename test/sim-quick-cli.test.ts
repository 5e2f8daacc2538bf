/**
 * `punchline sim` with the quick run's flags and `punchline demo`, through the built command line as a
 * field engineer runs them: every flag accepted, exit status 0 and the last line when every punch is
 * accounted for, 1 and the other last line when the drain ran out of time; remote mode against a real
 * gateway process with the devices' credentials.
 */
import t from 'tap'
import { join } from 'node:path'
import { existsSync, rmSync } from 'node:fs'
import { cli, cliAsync } from './helpers/gateway-process.js'
import { registeredSite } from './helpers/site.js'

const lastLine = (stdout: string): string => stdout.trimEnd().split('\n').at(-1) ?? ''

t.test('sim with every quick-run flag: the generated scenario, exit 0, the last line', async t => {
  const dir = t.testdir()
  const report = join(dir, 'quick.html')
  const run = await cliAsync(['sim', '--devices', '3', '--punches', '12', '--interval-ms', '50', '--outage-at-ms', '100', '--outage-ms', '300',
    '--capacity', '5', '--policy', 'overwrite-oldest', '--drain-timeout-ms', '20000', '--seed', '9', '--report', report, '--keep'])
  t.equal(run.status, 0, run.stdout + run.stderr)
  t.match(run.stdout, /sim: quick-run \(seed 9\): 1 site\(s\), 3 devices, 1 fault\(s\)/)
  t.match(run.stdout, /3 terminals, 12 punches each about every 50 ms; the site link down 100 ms after the start for 300 ms/)
  t.match(run.stdout, /generated\s+36\s/)
  t.match(run.stdout, /overwritten on devices\s+[1-9]/, 'a ring of 5 through the outage overwrites')
  t.match(run.stdout, /OK: every punch accounted for/)
  t.match(run.stdout, /report: .*quick\.html/)
  const kept = /kept: (\S+)/.exec(run.stdout)?.[1]
  t.ok(kept !== undefined && existsSync(join(kept, 'gateway')), `--keep kept the gateway's data (${kept})`)
  if (kept !== undefined) rmSync(kept, { recursive: true, force: true })
  t.equal(lastLine(run.stdout), 'sim: every punch accounted for')
})

t.test('sim with a drain too short for the backlog: exit 1 and says so', async t => {
  const run = await cliAsync(['sim', '--devices', '2', '--punches', '5', '--interval-ms', '20', '--outage-at-ms', '0', '--outage-ms', '5000', '--drain-timeout-ms', '0'])
  t.equal(run.status, 1, run.stdout + run.stderr)
  t.match(run.stdout, /still pending\s+10\s/)
  t.equal(lastLine(run.stdout), 'sim: UNEXPLAINED LOSS OR DUPLICATES (see above)')
  const bad = await cliAsync(['sim', '--policy', 'keep-all'])
  t.equal(bad.status, 1)
  t.match(bad.stderr, /--policy: must be refuse or overwrite-oldest/)
})

t.test('demo: the whole path, exit 0, the last line', async t => {
  const run = await cliAsync(['demo'])
  t.equal(run.status, 0, run.stdout + run.stderr)
  t.match(run.stdout, /sim: demo \(seed 42\): 1 site\(s\), 10 devices, 1 fault\(s\)/)
  t.match(run.stdout, /generated\s+400\s/)
  t.match(run.stdout, /delivered\s+400\s/)
  t.equal(lastLine(run.stdout), 'demo: every punch accounted for: none lost, none doubled.')
})

t.test('sim --broker --secrets: the quick run against a real gateway with credentials', async t => {
  const { gw, data, secretsFile: file } = await registeredSite(t, ['T-0001', 'T-0002'])
  const run = await cliAsync(['sim', '--devices', '2', '--punches', '8', '--interval-ms', '50', '--outage-at-ms', '100', '--outage-ms', '200',
    '--broker', gw.mqttUrl, '--secrets', file])
  t.equal(run.status, 0, run.stdout + run.stderr)
  t.match(run.stdout, /against mqtt:\/\/127\.0\.0\.1:\d+ \(acknowledged = delivered\)/)
  t.equal(lastLine(run.stdout), 'sim: every punch accounted for')
  const stored = JSON.parse(cli(['report', '--json', '--data', data]).stdout) as { backlog: { pendingPunches: number } }
  t.equal(stored.backlog.pendingPunches, 16, 'the gateway stored every punch (no upstream configured: all pending there)')
})
