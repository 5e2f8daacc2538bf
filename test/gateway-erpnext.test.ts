/**
 * A gateway forwarding to ERPNext (a local server speaking Frappe HR's API): check-ins in site-local time
 * with IN/OUT, a badge ERPNext does not know parked until the employee exists upstream, then replayed, and
 * the Shift Type's last_sync_of_checkin following the site watermark.
 */
import t from 'tap'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { startGatewayProcess, cli } from './helpers/gateway-process.js'
import { connectDevice } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'
import { ErpnextServer } from '../fakes/upstream/erpnext-server.js'

const EPOCH = '9f2c41d0'

t.test('gateway → ERPNext: check-ins, unknown employee parked then replayed, shift type synced', async t => {
  const dir = t.testdir()
  const erp = new ErpnextServer({
    apiKey: 'k',
    apiSecret: 's3cret',
    employees: [{ name: 'HR-EMP-00001', attendance_device_id: '1001' }],
    shiftTypes: ['Day Shift']
  })
  await erp.start()
  const config = join(dir, 'gateway.json')
  writeFileSync(config, JSON.stringify({
    gatewayId: 'gw-erp',
    upstream: { kind: 'erpnext', url: erp.url, token: 'k:s3cret', shiftTypes: ['Day Shift'] },
    forward: { lingerMs: 20, backoffBaseMs: 100 },
    watermark: { intervalSeconds: 1 }
  }))
  const data = join(dir, 'data')
  const gw = await startGatewayProcess({ dataDir: data, allowAnonymous: true, args: ['--config', config] })
  t.teardown(async () => { await gw.stop(); await erp.close() })
  const dev = await connectDevice(gw.mqttUrl, 'T-1')
  t.teardown(() => dev.close())

  // 08:00 and 17:30 on 2026-11-23 in Shanghai (+08:00)
  const morning = Date.parse('2026-11-23T00:00:00Z')
  const evening = Date.parse('2026-11-23T09:30:00Z')
  await dev.publish({
    v: 1,
    id: 'b1',
    epoch: EPOCH,
    tz: 480,
    punches: [
      { seq: 1, ts: morning, emp: '1001', kind: 'in', method: 'card' },
      { seq: 2, ts: evening, emp: '1001', kind: 'out', method: 'card' },
      { seq: 3, ts: morning + 60_000, emp: '2002', kind: 'in', method: 'card' }
    ]
  })
  t.match(await dev.ackFor('b1'), { ok: [[1, 3]] })

  await erp.waitFor(() => erp.checkins.length === 2, 15_000)
  t.match(erp.checkinsFor('1001').map(c => [c.time, c.log_type, c.device_id]).sort(), [
    ['2026-11-23 08:00:00', 'IN', 'T-1'],
    ['2026-11-23 17:30:00', 'OUT', 'T-1']
  ], 'site-local times, IN and OUT, the device id')
  await until(() => {
    const rows = JSON.parse(cli(['deadletters', 'list', '--json', '--data', data]).stdout) as Array<{ kind: string }>
    return rows.length === 1
  }, 'the unknown employee parked', 15_000)
  const parked = JSON.parse(cli(['deadletters', 'list', '--json', '--data', data]).stdout) as Array<Record<string, unknown>>
  t.match(parked, [{ punch: `T-1:${EPOCH}:3`, emp: '2002', kind: 'unmapped', reason: /No Employee found for the given employee field value/ }])
  const metrics = await (await fetch(`${gw.httpUrl}/metrics`)).text()
  t.match(metrics, /^punchline_parked_punches_total 1$/m)

  erp.addEmployee({ name: 'HR-EMP-00002', attendance_device_id: '2002' })
  const replay = cli(['deadletters', 'replay', '--unmapped', '--data', data])
  t.match(replay.stdout, /replayed 1 dead letter/)
  await erp.waitFor(() => erp.checkinsFor('2002').length === 1, 15_000)
  t.match(erp.checkinsFor('2002')[0], { employee: 'HR-EMP-00002', time: '2026-11-23 08:01:00', log_type: 'IN' })
  t.equal(erp.checkins.length, 3, 'each punch checked in once')

  // Everything delivered and the device connected: the site watermark reaches about now, and ERPNext's
  // shift type is told check-ins are complete up to then (site-local).
  await until(() => erp.shiftTypes.get('Day Shift')?.last_sync_of_checkin != null &&
    Date.parse(erp.shiftTypes.get('Day Shift')!.last_sync_of_checkin!.replace(' ', 'T') + '+08:00') > evening, 'the shift type synced past the last punch', 15_000)
  t.match(erp.shiftTypes.get('Day Shift')!.last_sync_of_checkin, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
})
