/**
 * A damaged database moved aside at start is a critical alarm that stays until an operator acts (issue 13,
 * item 2): in the log line with the exact restore command, in `punchline report`, GET /api/alarms and
 * /metrics, across restarts, until `punchline alarms ack database-moved-aside` or `punchline restore`.
 * Before the fix the move was one log line and the report showed no alarm at all.
 */
import t, { type Test } from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startGatewayProcess, cli, type GatewayProcess } from './helpers/gateway-process.js'
import { writeGatewayConfig } from '../faults/gateway-process.js'
import { until } from './helpers/wait.js'

const NAME = 'database-moved-aside'

interface Seen { api: boolean, metric: boolean, report: boolean }

async function seen (gw: GatewayProcess | undefined, dir: string): Promise<Seen> {
  const report = cli(['report', '--data', dir])
  const out: Seen = { api: false, metric: false, report: report.stdout.includes(`CRITICAL  ${NAME}`) }
  if (gw !== undefined) {
    const alarms = await (await gw.api('/api/alarms')).json() as { alarms: Array<{ name: string, severity: string }> }
    out.api = alarms.alarms.some(a => a.name === NAME && a.severity === 'critical')
    out.metric = (await (await fetch(gw.httpUrl + '/metrics')).text()).includes(`punchline_alarm{name="${NAME}",severity="critical"} 1`)
  }
  return out
}

/** A data dir with a registered device and a backup, whose live file is then overwritten with garbage. */
function damagedSite (t: Test, base: string): { dir: string, config: string, backup: string } {
  const dir = join(base, 'data')
  mkdirSync(dir)
  t.equal(cli(['devices', 'add', 'K-1', '--data', dir]).status, 0)
  const taken = cli(['backup', '--data', dir])
  const backup = /backup written: (\S+)/.exec(taken.stdout)?.[1] ?? ''
  writeFileSync(join(dir, 'punchline.db'), Buffer.alloc(64 * 1024, 0x5a))
  return { dir, config: writeGatewayConfig(base, { alarms: { intervalSeconds: 1 } }), backup }
}

t.test('moved aside: a critical alarm in the log, report, API and metrics until acknowledged', async t => {
  const { dir, config, backup } = damagedSite(t, t.testdir())
  let gw = await startGatewayProcess({ dataDir: dir, allowAnonymous: true, args: ['--config', config] })
  t.teardown(async () => await gw.stop())
  const line = gw.logs.find(l => l.msg.startsWith('database failed its integrity check'))
  const restore = `punchline restore ${backup} --data ${dir}`
  t.match(line, { level: 50, alarm: NAME, restore }, 'the log line carries the exact restore command')
  t.ok(line?.msg.includes(restore), `and says it: ${String(line?.msg)}`)
  t.same(await seen(gw, dir), { api: true, metric: true, report: true }, 'raised everywhere')

  await gw.stop()
  gw = await startGatewayProcess({ dataDir: dir, allowAnonymous: true, args: ['--config', config] })
  t.notOk(gw.logs.some(l => l.msg.startsWith('database failed its integrity check')), 'the new file is whole: nothing moved again')
  t.same(await seen(gw, dir), { api: true, metric: true, report: true }, 'still raised after a restart')

  const ack = cli(['alarms', 'ack', NAME, '--data', dir])
  t.equal(ack.status, 0, ack.stderr)
  t.match(ack.stdout, /acknowledged database-moved-aside/)
  await until(async () => !(await seen(gw, dir)).api, 'the running gateway to drop the alarm', 15_000)
  t.same(await seen(gw, dir), { api: false, metric: false, report: false }, 'gone everywhere once acknowledged')
  t.match(cli(['alarms', 'ack', NAME, '--data', dir]).stdout, /nothing to acknowledge/)
  t.not(cli(['alarms', 'ack', 'storage', '--data', dir]).status, 0, 'an alarm that clears by itself cannot be acknowledged')
})

t.test('moved aside: restoring the backup is acting on it', async t => {
  const { dir, config, backup } = damagedSite(t, t.testdir())
  const gw = await startGatewayProcess({ dataDir: dir, allowAnonymous: true, args: ['--config', config] })
  t.same(await seen(gw, dir), { api: true, metric: true, report: true })
  // A backup taken now carries the alarm; restoring it still clears it.
  t.equal(cli(['backup', '--data', dir]).status, 0)
  await gw.stop()
  const restored = cli(['restore', '--latest', '--data', dir])
  t.equal(restored.status, 0, restored.stderr)
  t.same(await seen(undefined, dir), { api: false, metric: false, report: false }, 'the restored file has no alarm')
  t.ok(backup.length > 0)
})
