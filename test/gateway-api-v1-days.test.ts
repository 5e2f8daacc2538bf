/**
 * The per-person day view on a real gateway process: punches a real MQTT client stored, a roster made
 * with the real CLI; days in the zone asked for (a punch after midnight in Shanghai is the next day there
 * and the same day in UTC), in the host's zone when none is asked for; the roster's person and an unmapped
 * badge kept apart; every day of the range listed; hr and admin only; bad dates and zones named.
 */
import t from 'tap'
import { startGatewayProcess, cli } from './helpers/gateway-process.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { addOperator, asBearer, asSession, login } from './helpers/api-v1.js'

interface Day { date: string, firstIn: number | null, lastOut: number | null, count: number, flags: string[], punches: Array<{ device: string, ts: number, kind: string, localTime: string }> }
interface Days { emp: string, tz: string, days: Day[] }

const at = (iso: string): number => Date.parse(iso)

t.test("a person's days: first in, last out, in the zone asked for; hr and admin only", async t => {
  const data = t.testdir()
  t.equal(cli(['roster', 'add', '0042', 'E42', '--device', 'DV-A', '--data', data]).status, 0, 'badge 0042 on DV-A is E42')
  const gw = await startGatewayProcess({ dataDir: data, allowAnonymous: true, env: { TZ: 'America/New_York' } })
  t.teardown(async () => await gw.stop())
  const sent: Array<[string, string, string]> = [
    // device, UTC time, kind; Shanghai is UTC+8.
    ['DV-A', '2026-12-01T00:55:00Z', 'in'], // 08:55 on the 1st in Shanghai
    ['DV-A', '2026-12-01T10:05:00Z', 'out'], // 18:05 on the 1st
    ['DV-A', '2026-12-01T17:30:00Z', 'in'], // 01:30 on the 2nd in Shanghai, still the 1st in UTC
    ['DV-B', '2026-12-01T01:00:00Z', 'in'] // the same PIN on another terminal, nobody mapped: another person
  ]
  for (const device of ['DV-A', 'DV-B']) {
    const mine = sent.filter(s => s[0] === device)
    const dev = await connectDevice(gw.mqttUrl, device)
    const body = batch(`${device}-1`, mine.map((_s, i) => i + 1))
    ;(body.punches as Array<{ ts: number, emp: string, kind: string }>).forEach((p, i) => { p.ts = at(mine[i][1]); p.emp = '0042'; p.kind = mine[i][2] })
    await dev.publish(body)
    t.equal((await dev.ackFor(`${device}-1`)).id, `${device}-1`)
    await dev.close()
  }
  const hr = await login(gw, 'hana', await addOperator(data, 'hana', 'hr'))
  const viewer = await login(gw, 'vic', await addOperator(data, 'vic', 'viewer'))
  const days = async (path: string): Promise<Days> => {
    const res = await asSession(gw, hr, 'GET', path)
    t.equal(res.status, 200, path)
    return await res.json() as Days
  }

  const shanghai = await days('/api/v1/people/E42/days?from=2026-12-01&to=2026-12-03&tz=Asia/Shanghai')
  t.equal(shanghai.emp, 'E42')
  t.equal(shanghai.tz, 'Asia/Shanghai')
  t.same(shanghai.days.map(d => d.date), ['2026-12-01', '2026-12-02', '2026-12-03'], 'every day of the range, empty ones too')
  t.match(shanghai.days[0], { count: 2, firstIn: at('2026-12-01T00:55:00Z'), lastOut: at('2026-12-01T10:05:00Z') })
  t.same(shanghai.days[0].punches.map(p => p.localTime), ['2026-12-01 08:55:00 +08:00', '2026-12-01 18:05:00 +08:00'])
  t.match(shanghai.days[1], { count: 1, firstIn: at('2026-12-01T17:30:00Z'), lastOut: null }, 'after midnight in Shanghai: the next day')
  t.match(shanghai.days[2], { count: 0, firstIn: null, lastOut: null, flags: [], punches: [] })
  t.same(shanghai.days[0].flags, ['expired'], "the day's flags (synced days late: expired)")
  t.ok(shanghai.days.flatMap(d => d.punches).every(p => p.device === 'DV-A'), "only the roster's E42, not the same PIN on DV-B")

  const utc = await days('/api/v1/people/E42/days?from=2026-12-01&to=2026-12-01&tz=UTC')
  t.match(utc.days, [{ date: '2026-12-01', count: 3, firstIn: at('2026-12-01T00:55:00Z'), lastOut: at('2026-12-01T10:05:00Z') }], 'in UTC all three are the 1st')

  const host = await days('/api/v1/people/E42/days?from=2026-11-30&to=2026-12-01')
  t.equal(host.tz, 'America/New_York', "no tz: the gateway host's zone")
  t.same(host.days.map(d => d.count), [1, 2], 'New York days: 19:55 on the 30th; 05:05 and 12:30 on the 1st')

  const unmapped = await days('/api/v1/people/0042/days?from=2026-12-01&to=2026-12-01&tz=UTC')
  t.same(unmapped.days[0].punches.map(p => p.device), ['DV-B'], 'an unmapped badge is its own person')

  const cases: Array<[string, string, string]> = [
    ['?from=2026-02-30&to=2026-03-01', 'querystring.from', 'date'],
    ['?from=2026-12-01&to=2026-12-1', 'querystring.to', 'pattern'],
    ['?from=2026-12-03&to=2026-12-01', 'querystring.to', 'notBeforeFrom'],
    ['?from=2026-01-01&to=2026-03-31', 'querystring.to', 'maxDays'],
    ['?from=2026-12-01', 'querystring.to', 'required'],
    ['?from=2026-12-01&to=2026-12-01&tz=Nowhere/Zone', 'querystring.tz', 'timeZone'],
    ['?from=2026-12-01&to=2026-12-01&limit=5', 'querystring.limit', 'additionalProperties']
  ]
  for (const [query, field, rule] of cases) {
    const res = await asSession(gw, hr, 'GET', `/api/v1/people/E42/days${query}`)
    t.equal(res.status, 400, query)
    t.match(await res.json(), { error: 'bad_request', field, rule })
  }
  for (const path of ['/api/v1/people/E42/days?from=2026-12-01&to=2026-12-01', '/api/v1/days/2026-12-01']) {
    t.equal((await asSession(gw, viewer, 'GET', path)).status, 403, `${path}: a viewer may not`)
    t.equal((await fetch(gw.httpUrl + path)).status, 401, 'nor anyone without credentials')
    t.equal((await asBearer(gw, gw.apiToken, 'GET', path)).status, 200, 'the site token (admin) may')
  }
})

t.test("one day's overview: everyone's first in and last out", async t => {
  const data = t.testdir()
  t.equal(cli(['roster', 'add', '0042', 'E42', '--device', 'DV-A', '--data', data]).status, 0)
  const gw = await startGatewayProcess({ dataDir: data, allowAnonymous: true })
  t.teardown(async () => await gw.stop())
  const sent: Array<[string, string, string, string]> = [
    ['DV-A', '0042', '2026-12-01T00:55:00Z', 'in'],
    ['DV-A', '0042', '2026-12-01T10:05:00Z', 'out'],
    ['DV-A', '0042', '2026-12-01T17:30:00Z', 'in'], // the 2nd in Shanghai
    ['DV-A', '0007', '2026-12-01T02:00:00Z', 'in'],
    ['DV-B', '0042', '2026-12-01T01:00:00Z', 'in'],
    ['DV-B', '0042', '2026-12-02T01:00:00Z', 'out'] // another day
  ]
  for (const device of ['DV-A', 'DV-B']) {
    const mine = sent.filter(s => s[0] === device)
    const dev = await connectDevice(gw.mqttUrl, device)
    const body = batch(`${device}-1`, mine.map((_s, i) => i + 1))
    ;(body.punches as Array<{ ts: number, emp: string, kind: string }>).forEach((p, i) => { p.emp = mine[i][1]; p.ts = at(mine[i][2]); p.kind = mine[i][3] })
    await dev.publish(body)
    t.equal((await dev.ackFor(`${device}-1`)).id, `${device}-1`)
    await dev.close()
  }
  const hr = await login(gw, 'hana', await addOperator(data, 'hana', 'hr'))
  const res = await asSession(gw, hr, 'GET', '/api/v1/days/2026-12-01?tz=Asia/Shanghai')
  t.equal(res.status, 200)
  t.same(await res.json(), {
    date: '2026-12-01',
    tz: 'Asia/Shanghai',
    people: [
      { emp: '0007', firstIn: at('2026-12-01T02:00:00Z'), lastOut: null, count: 1, flags: ['expired', 'unknown-badge'] },
      { emp: '0042', firstIn: at('2026-12-01T01:00:00Z'), lastOut: null, count: 1, flags: ['expired'] },
      { emp: 'E42', firstIn: at('2026-12-01T00:55:00Z'), lastOut: at('2026-12-01T10:05:00Z'), count: 2, flags: ['expired'] }
    ]
  }, "by person (the roster's, else the badge), the day in Shanghai")
  for (const [path, field, rule] of [['/api/v1/days/2026-13-01', 'params.date', 'date'], ['/api/v1/days/yesterday', 'params.date', 'pattern'], ['/api/v1/days/2026-12-01?tz=Nowhere/Zone', 'querystring.tz', 'timeZone']]) {
    const bad = await asSession(gw, hr, 'GET', path)
    t.equal(bad.status, 400, path)
    t.match(await bad.json(), { field, rule })
  }
})
