/**
 * The roster end to end, with a real gateway process, a real device connection and a real upstream:
 * punches of mapped badges go upstream with their employee and site; with `roster.unknown: hold` an
 * unknown badge's punches are stored, acknowledged, flagged and held; `punchline roster add` (another
 * process) releases them with their employee; the watermark waits for them meanwhile.
 */
import t from 'tap'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { startGatewayProcess, cli } from './helpers/gateway-process.js'
import { connectDevice } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import type { Watermarks } from '../shared/upstream.js'

const EPOCH = '9f2c41d0'

t.test('roster: employee upstream, unknown badges held until mapped, watermark held meanwhile', async t => {
  const dir = t.testdir()
  const sink = new WebhookUpstream()
  await sink.start()
  const config = join(dir, 'gateway.json')
  writeFileSync(config, JSON.stringify({
    gatewayId: 'gw-roster',
    sites: { hq: { devices: ['T-*'], geofences: [] } },
    roster: { unknown: 'hold' },
    forward: { lingerMs: 20 }
  }))
  const data = join(dir, 'data')
  const added = cli(['roster', 'add', '1234', 'EMP-ALICE', '--device', 'T-1', '--name', 'Alice', '--data', data])
  t.equal(added.status, 0, added.stderr)
  t.equal(cli(['roster', 'add', '1234', 'EMP-BOB', '--device', 'T-2', '--data', data]).status, 0)

  const gw = await startGatewayProcess({ dataDir: data, upstream: sink.url, allowAnonymous: true, args: ['--config', config] })
  t.teardown(async () => { await gw.stop(); await sink.close() })
  const t1 = await connectDevice(gw.mqttUrl, 'T-1')
  const t2 = await connectDevice(gw.mqttUrl, 'T-2')
  t.teardown(async () => { await t1.close(); await t2.close() })

  const now = Date.now()
  const punch = (seq: number, emp: string, ago: number): Record<string, unknown> => ({ seq, ts: now - ago, emp, kind: 'in', method: 'pin' })
  await t1.publish({ v: 1, id: 'b1', epoch: EPOCH, tz: 480, punches: [punch(1, '1234', 600_000), punch(2, '7777', 500_000)] })
  await t2.publish({ v: 1, id: 'b2', epoch: EPOCH, tz: 480, punches: [punch(1, '1234', 400_000)] })
  t.match(await t1.ackFor('b1'), { ok: [[1, 2]] }, 'the unknown badge is stored and acknowledged like any other')
  await t2.ackFor('b2')

  await sink.waitFor(() => sink.received.size === 2, 15_000)
  const alice = sink.punches.get(`T-1:${EPOCH}:1`)
  const bob = sink.punches.get(`T-2:${EPOCH}:1`)
  t.match(alice, { emp: '1234', employee: 'EMP-ALICE', site: 'hq', flags: [] })
  t.match(bob, { emp: '1234', employee: 'EMP-BOB', site: 'hq', flags: [] }, 'the same PIN on another terminal is another person')
  t.notOk(sink.received.has(`T-1:${EPOCH}:2`), 'the unknown badge is held back')

  const parked = JSON.parse(cli(['deadletters', 'list', '--json', '--data', data]).stdout) as Array<{ punch: string, kind: string, reason: string }>
  t.match(parked, [{ punch: `T-1:${EPOCH}:2`, kind: 'unmapped', reason: /unknown-badge: no roster entry maps '7777' on T-1/ }])

  t.match(cli(['deadletters', 'list', '--data', data]).stdout, /KIND[\s\S]*T-1:9f2c41d0:2\s+7777\s.*\sunmapped\s+-\s+unknown-badge/, 'the operator sees what waits and why')

  const marks = await (await gw.api('/api/watermarks')).json() as Watermarks
  const t1Mark = marks.devices.find(d => d.device === 'T-1')!
  t.equal(t1Mark.beforeMs, now - 500_000, 'T-1 is delivered only up to its held punch')
  t.equal(t1Mark.heldBy, 'an undelivered punch at the gateway')
  const hq = marks.sites.find(s => s.site === 'hq')!
  t.equal(hq.beforeMs, now - 500_000, 'the site waits for its slowest device')

  t.equal(cli(['roster', 'add', '7777', 'EMP-CAROL', '--site', 'hq', '--data', data]).status, 0)
  await sink.waitFor(() => sink.received.has(`T-1:${EPOCH}:2`), 15_000)
  t.match(sink.punches.get(`T-1:${EPOCH}:2`), { emp: '7777', employee: 'EMP-CAROL', site: 'hq', flags: ['unknown-badge'] },
    'released with its employee, and still flagged: it was unknown when it arrived')
  t.equal(sink.duplicates, 0)
  await until(async () => {
    const m = await (await gw.api('/api/watermarks')).json() as Watermarks
    return (m.devices.find(d => d.device === 'T-1')?.beforeMs ?? 0) > now
  }, 'the watermark moves past the released punch', 10_000)
  const listed = cli(['roster', 'list', '--data', data]).stdout
  t.match(listed, /device:T-1\t1234\tEMP-ALICE\tAlice/)
  t.match(listed, /site:hq\t7777\tEMP-CAROL/)
})

t.test('roster import: CSV with a header, scopes per line, clear errors', async t => {
  const dir = t.testdir()
  const data = join(dir, 'data')
  const csv = join(dir, 'roster.csv')
  writeFileSync(csv, 'badge,employee,name,scope\n"0042",EMP-1,"Doe, Jane",device:T-9\n0043,EMP-2,,\n# a comment\n')
  const r = cli(['roster', 'import', csv, '--site', 'hq', '--data', data])
  t.equal(r.status, 0, r.stderr)
  t.match(r.stdout, /imported 2 roster entries/)
  const rows = JSON.parse(cli(['roster', 'list', '--json', '--data', data]).stdout) as Array<Record<string, unknown>>
  t.match(rows, [{ scope: 'device:T-9', badge: '0042', employee: 'EMP-1', name: 'Doe, Jane' }, { scope: 'site:hq', badge: '0043', employee: 'EMP-2', name: null }])
  writeFileSync(csv, '0044,EMP-3,,room:1\n')
  const bad = cli(['roster', 'import', csv, '--data', data])
  t.equal(bad.status, 1)
  t.match(bad.stderr, /scope: must be '\*', 'device:<id>' or 'site:<id>' \(got 'room:1'\)/)
  writeFileSync(csv, '0045\n')
  t.match(cli(['roster', 'import', csv, '--data', data]).stderr, /line 1: needs at least badge,employee/)
  t.equal(cli(['roster', 'remove', '0043', '--site', 'hq', '--data', data]).status, 0)
  t.equal(cli(['roster', 'remove', '0043', '--site', 'hq', '--data', data]).status, 1, 'removing what is not there says so')
  t.match(cli(['roster', 'add', 'x', 'y', '--device', 'T-1', '--site', 'hq', '--data', data]).stderr, /--device or --site, not both/)
})
